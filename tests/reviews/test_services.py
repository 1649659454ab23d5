from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from apps.audit.models import AuditEntry
from apps.bookings.models import BookingStatus
from apps.outbox.models import OutboxEvent
from apps.reviews import services
from apps.reviews.exceptions import (
    BANNED_WORDS,
    RATING_OUT_OF_RANGE,
    REASON_REQUIRED,
    AlreadyReplied,
    AlreadyReviewed,
    BookingNotReviewable,
    ModerationNotAllowed,
    ReplyNotAllowed,
    ReviewInvalid,
    ReviewNotYours,
    ReviewStateConflict,
    ReviewWindowClosed,
)
from apps.reviews.models import BannedWord, DoctorReply, Review, ReviewSettings, ReviewStatus
from tests.conftest import _staff
from tests.reviews.factories import ReviewFactory, completed_booking

pytestmark = pytest.mark.django_db


def write(booking, patient, **kwargs):
    return services.review_create(patient=patient, booking=booking, **{"rating": 5, **kwargs})


def nothing_written():
    return (
        not Review.objects.exists()
        and not AuditEntry.objects.filter(action__startswith="review.").exists()
        and not OutboxEvent.objects.filter(kind__startswith="review.").exists()
    )


# --- review_create ----------------------------------------------------------------------------


def test_review_create_publishes_a_review_of_ones_own_completed_visit(visit, patient):
    review = write(visit, patient, rating=4, manner=5, waiting_time=2, comment="  Kind and clear. ")

    assert review.status == ReviewStatus.PUBLISHED
    assert review.published_at is not None
    assert (review.doctor, review.clinic, review.patient) == (visit.doctor, visit.clinic, patient)
    assert (review.rating, review.manner, review.waiting_time, review.explanation) == (
        4,
        5,
        2,
        None,
    )
    assert review.comment == "Kind and clear."
    entry = AuditEntry.objects.get(action="review.create")
    assert (entry.actor, entry.target_id) == (patient, str(review.pk))
    event = OutboxEvent.objects.get(kind="review.published")
    assert event.payload["review"] == review.pk


def test_review_create_waits_for_approval_when_the_clinic_asks_for_it(visit, patient):
    ReviewSettings.objects.create(clinic=visit.clinic, requires_manual_approval=True)

    review = write(visit, patient)

    assert (review.status, review.published_at) == (ReviewStatus.PENDING, None)
    assert OutboxEvent.objects.filter(kind="review.submitted").count() == 1


def test_review_create_refuses_someone_elses_booking(visit, other_patient):
    with pytest.raises(ReviewNotYours):
        write(visit, other_patient)
    assert nothing_written()


@pytest.mark.parametrize(
    "status",
    [BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW, "cancelled"],
)
def test_review_create_refuses_a_visit_that_is_not_completed(visit, patient, status):
    type(visit).objects.filter(pk=visit.pk).update(status=status)

    with pytest.raises(BookingNotReviewable):
        write(visit, patient)
    assert nothing_written()


def test_review_create_refuses_a_second_review_of_the_same_visit(visit, patient):
    write(visit, patient)

    with pytest.raises(AlreadyReviewed):
        write(visit, patient, rating=1)
    assert Review.objects.get().rating == 5


def test_review_create_is_open_until_the_window_closes(visit, patient, settings):
    settings.REVIEW_WINDOW_DAYS = 30
    closes = visit.ends_at + timedelta(days=30)

    with (
        time_machine.travel(closes + timedelta(seconds=1), tick=False),
        pytest.raises(ReviewWindowClosed, match="30 days"),
    ):
        write(visit, patient)
    assert nothing_written()
    with time_machine.travel(closes - timedelta(seconds=1), tick=False):
        assert write(visit, patient).pk


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rating", 0),
        ("rating", 6),
        ("rating", None),
        ("rating", "5"),
        ("rating", True),
        ("waiting_time", 0),
        ("manner", 9),
        ("explanation", -1),
    ],
)
def test_review_create_refuses_a_rating_out_of_range_naming_the_field(visit, patient, field, value):
    with pytest.raises(ReviewInvalid) as caught:
        write(visit, patient, **{field: value})
    assert (caught.value.field, caught.value.message) == (field, RATING_OUT_OF_RANGE)
    assert nothing_written()


def test_review_create_refuses_a_comment_over_the_limit(visit, patient):
    with pytest.raises(ReviewInvalid) as caught:
        write(visit, patient, comment="x" * 2001)
    assert caught.value.field == "comment"
    assert "2000" in str(caught.value.message)
    assert nothing_written()


def test_review_create_refuses_banned_words_in_any_case_but_not_inside_other_words(visit, patient):
    BannedWord.objects.create(word="idiot")

    with pytest.raises(ReviewInvalid) as caught:
        write(visit, patient, comment="The receptionist was an IDIOT.")
    assert caught.value.field == "comment"
    assert caught.value.message == BANNED_WORDS % {"word": "IDIOT"}
    assert nothing_written()
    assert write(visit, patient, comment="Idiotically long wait, but fine.").pk


def test_the_database_refuses_a_second_review_and_ratings_out_of_range(visit, patient):
    ReviewFactory(booking=visit)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewFactory(booking=visit)
    other = completed_booking(doctor=visit.doctor, clinic=visit.clinic)
    for field, value in [("rating", 6), ("rating", 0), ("manner", 6), ("waiting_time", 0)]:
        with pytest.raises(IntegrityError), transaction.atomic():
            ReviewFactory(booking=other, **{field: value})


# --- moderation -------------------------------------------------------------------------------


@pytest.fixture
def review(visit, patient):
    return write(visit, patient, rating=2, comment="Long wait.")


def test_a_clinic_manager_hides_a_review_with_a_reason_and_unhides_it(review, clinic_manager):
    hidden = services.review_hide(review=review, actor=clinic_manager, reason="Names a nurse")

    assert (hidden.status, hidden.hidden_reason, hidden.hidden_by) == (
        ReviewStatus.HIDDEN,
        "Names a nurse",
        clinic_manager,
    )
    entry = AuditEntry.objects.get(action="review.hide")
    assert entry.actor == clinic_manager
    assert entry.changes["hidden_reason"] == ["", "Names a nurse"]

    shown = services.review_unhide(review=review, actor=clinic_manager)

    assert (shown.status, shown.hidden_reason, shown.hidden_by) == (
        ReviewStatus.PUBLISHED,
        "",
        None,
    )
    assert AuditEntry.objects.filter(action="review.unhide", actor=clinic_manager).count() == 1


def test_a_platform_admin_may_hide_any_review(review, platform_admin):
    assert services.review_hide(review=review, actor=platform_admin, reason="Spam").status == (
        ReviewStatus.HIDDEN
    )


def test_hiding_needs_a_reason(review, clinic_manager):
    with pytest.raises(ReviewInvalid) as caught:
        services.review_hide(review=review, actor=clinic_manager, reason="   ")
    assert (caught.value.field, caught.value.message) == ("reason", REASON_REQUIRED)
    review.refresh_from_db()
    assert review.status == ReviewStatus.PUBLISHED
    assert not AuditEntry.objects.filter(action="review.hide").exists()


@pytest.mark.parametrize("who", ["receptionist", "doctor_user", "patient", "other_manager"])
def test_only_managers_of_the_clinic_and_admins_may_moderate(review, request, other_world, who):
    if who == "other_manager":
        actor = _staff("clinic_manager", other_world.clinic, "elsewhere@example.test")
    else:
        actor = request.getfixturevalue(who)

    with pytest.raises(ModerationNotAllowed):
        services.review_hide(review=review, actor=actor, reason="I do not like it")
    review.refresh_from_db()
    assert review.status == ReviewStatus.PUBLISHED
    assert not AuditEntry.objects.filter(action="review.hide").exists()


def test_a_pending_review_is_approved_once(visit, patient, clinic_manager):
    ReviewSettings.objects.create(clinic=visit.clinic, requires_manual_approval=True)
    review = write(visit, patient)

    approved = services.review_approve(review=review, actor=clinic_manager)

    assert (approved.status, approved.published_at is not None) == (ReviewStatus.PUBLISHED, True)
    assert AuditEntry.objects.filter(action="review.approve").count() == 1
    with pytest.raises(ReviewStateConflict):
        services.review_approve(review=review, actor=clinic_manager)


def test_unhiding_a_review_that_is_not_hidden_is_a_conflict(review, clinic_manager):
    with pytest.raises(ReviewStateConflict):
        services.review_unhide(review=review, actor=clinic_manager)


# --- doctor replies ---------------------------------------------------------------------------


def test_the_doctor_of_the_visit_replies_once(review, doctor_user):
    reply = services.doctor_reply_create(review=review, actor=doctor_user, body=" Thank you. ")

    assert (reply.body, reply.doctor, reply.review) == ("Thank you.", review.doctor, review)
    assert AuditEntry.objects.filter(action="review.reply", actor=doctor_user).count() == 1
    with pytest.raises(AlreadyReplied):
        services.doctor_reply_create(review=review, actor=doctor_user, body="Again")
    assert DoctorReply.objects.get().body == "Thank you."


def test_another_doctor_or_a_manager_cannot_reply(review, clinic_manager, other_world):
    for actor in (clinic_manager, other_world.doctor.user):
        with pytest.raises(ReplyNotAllowed):
            services.doctor_reply_create(review=review, actor=actor, body="Hello")
    assert not DoctorReply.objects.exists()


def test_a_reply_must_say_something_and_pass_moderation(review, doctor_user):
    BannedWord.objects.create(word="liar")
    for body, field in [("  ", "body"), ("You are a liar", "body"), ("x" * 2001, "body")]:
        with pytest.raises(ReviewInvalid) as caught:
            services.doctor_reply_create(review=review, actor=doctor_user, body=body)
        assert caught.value.field == field
    assert not DoctorReply.objects.exists()


def test_a_hidden_review_gets_no_reply(review, doctor_user, clinic_manager):
    services.review_hide(review=review, actor=clinic_manager, reason="Abusive")

    with pytest.raises(ReviewStateConflict):
        services.doctor_reply_create(review=review, actor=doctor_user, body="Thanks")
