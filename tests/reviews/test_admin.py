"""Review back office: managers moderate their clinics' reviews, doctors reply to their own,
everyone else sees nothing; every action goes through the services and is audited."""

import pytest

from apps.audit.models import AuditEntry
from apps.reviews.models import BannedWord, DoctorReply, Review, ReviewSettings, ReviewStatus
from tests.clinics.admin_helpers import (
    admin_url,
    assert_redirected_as_missing,
    change_url,
    changelist_url,
    listed_pks,
)
from tests.reviews.factories import ReviewFactory, completed_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_review(world):
    return ReviewFactory(
        booking=completed_booking(doctor=world.doctor, clinic=world.clinic), comment="Rude"
    )


@pytest.fixture
def foreign_review(other_world):
    return ReviewFactory(
        booking=completed_booking(doctor=other_world.doctor, clinic=other_world.clinic)
    )


def run_action(client, action: str, *reviews, **extra):
    data = {"action": action, "_selected_action": [r.pk for r in reviews], "index": "0", **extra}
    return client.post(changelist_url(Review), data)


def status_of(review) -> str:
    return Review.objects.get(pk=review.pk).status


def test_a_manager_lists_only_the_reviews_of_their_clinics(
    client, clinic_manager, own_review, foreign_review
):
    client.force_login(clinic_manager)

    assert listed_pks(client.get(changelist_url(Review))) == {own_review.pk}
    assert_redirected_as_missing(client.get(change_url(foreign_review)))


def test_a_manager_hides_a_review_with_a_reason_asked_on_a_second_page(
    client, clinic_manager, own_review, foreign_review
):
    client.force_login(clinic_manager)

    ask = run_action(client, "hide", own_review)
    assert ask.status_code == 200
    assert "Why is this review hidden?" in ask.content.decode()
    assert status_of(own_review) == ReviewStatus.PUBLISHED

    done = run_action(client, "hide", own_review, foreign_review, apply="1", reason="Abusive")

    assert done.status_code == 302
    assert status_of(own_review) == ReviewStatus.HIDDEN
    assert Review.objects.get(pk=own_review.pk).hidden_reason == "Abusive"
    assert status_of(foreign_review) == ReviewStatus.PUBLISHED
    assert AuditEntry.objects.filter(action="review.hide", actor=clinic_manager).count() == 1


def test_hiding_without_a_reason_asks_again_and_changes_nothing(client, clinic_manager, own_review):
    client.force_login(clinic_manager)

    response = run_action(client, "hide", own_review, apply="1", reason="")

    assert response.status_code == 422
    assert status_of(own_review) == ReviewStatus.PUBLISHED
    assert not AuditEntry.objects.filter(action="review.hide").exists()


def test_a_manager_unhides_and_approves(client, clinic_manager, own_review, world):
    client.force_login(clinic_manager)
    pending = ReviewFactory(
        booking=completed_booking(doctor=world.doctor, clinic=world.clinic),
        status=ReviewStatus.PENDING,
        published_at=None,
    )
    Review.objects.filter(pk=own_review.pk).update(status=ReviewStatus.HIDDEN, hidden_reason="x")

    run_action(client, "unhide", own_review)
    run_action(client, "approve", pending)

    assert status_of(own_review) == ReviewStatus.PUBLISHED
    assert status_of(pending) == ReviewStatus.PUBLISHED
    assert AuditEntry.objects.filter(action__in=["review.unhide", "review.approve"]).count() == 2


def test_a_receptionist_and_a_nurse_have_no_review_pages(client, receptionist, nurse, own_review):
    for user in (receptionist, nurse):
        client.force_login(user)
        assert client.get(changelist_url(Review)).status_code == 403
        run_action(client, "hide", own_review, apply="1", reason="No")
    assert status_of(own_review) == ReviewStatus.PUBLISHED


def test_a_doctor_sees_their_own_reviews_replies_once_and_cannot_hide(
    client, doctor_user, own_review, foreign_review, world
):
    colleague_review = ReviewFactory(booking=completed_booking(clinic=world.clinic))
    client.force_login(doctor_user)

    assert listed_pks(client.get(changelist_url(Review))) == {own_review.pk}
    ask = run_action(client, "reply", own_review)
    assert "Your public reply" in ask.content.decode()
    done = run_action(client, "reply", own_review, apply="1", body="Thank you for the feedback.")
    assert done.status_code == 302
    assert DoctorReply.objects.get().body == "Thank you for the feedback."
    run_action(client, "reply", colleague_review, apply="1", body="Not mine")
    run_action(client, "hide", own_review, apply="1", reason="I disagree")

    assert DoctorReply.objects.count() == 1
    assert status_of(own_review) == ReviewStatus.PUBLISHED


def test_a_platform_admin_sees_every_review_and_keeps_banned_words(
    client, platform_admin, own_review, foreign_review
):
    client.force_login(platform_admin)

    assert listed_pks(client.get(changelist_url(Review))) == {own_review.pk, foreign_review.pk}
    response = client.post(admin_url(BannedWord, "add"), {"word": "quack"})
    assert response.status_code == 302
    assert BannedWord.objects.filter(word="quack").exists()


def test_a_manager_turns_on_manual_approval_for_their_clinic_only(
    client, clinic_manager, world, other_world
):
    client.force_login(clinic_manager)

    foreign = client.post(
        admin_url(ReviewSettings, "add"),
        {"clinic": other_world.clinic.pk, "requires_manual_approval": "on"},
    )
    own = client.post(
        admin_url(ReviewSettings, "add"),
        {"clinic": world.clinic.pk, "requires_manual_approval": "on"},
    )

    assert foreign.status_code == 200  # the other clinic is not a valid choice
    assert own.status_code == 302
    assert list(ReviewSettings.objects.values_list("clinic_id", flat=True)) == [world.clinic.pk]
    assert client.get(admin_url(BannedWord, "changelist")).status_code == 403


@pytest.mark.parametrize("count", [1, 20])
def test_the_review_list_needs_a_bounded_number_of_queries(
    client, clinic_manager, world, django_assert_max_num_queries, count
):
    for _ in range(count):
        review = ReviewFactory(booking=completed_booking(doctor=world.doctor, clinic=world.clinic))
        DoctorReply.objects.create(review=review, doctor=world.doctor, body="Thanks")
    client.force_login(clinic_manager)

    with django_assert_max_num_queries(16):
        assert len(listed_pks(client.get(changelist_url(Review)))) == count
