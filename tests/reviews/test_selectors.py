import pytest

from apps.doctors.models import Doctor
from apps.reviews import selectors
from apps.reviews.models import ReviewStatus
from tests.reviews.factories import ReviewFactory, completed_booking

pytestmark = pytest.mark.django_db


def reviews(world, *ratings, status=ReviewStatus.PUBLISHED):
    return [
        ReviewFactory(
            booking=completed_booking(doctor=world.doctor, clinic=world.clinic),
            rating=r,
            status=status,
        )
        for r in ratings
    ]


def test_rating_summary_counts_only_published_reviews(world, other_world):
    reviews(world, 5, 4, 4, 1)
    reviews(world, 1, 1, status=ReviewStatus.HIDDEN)
    reviews(world, 1, status=ReviewStatus.PENDING)
    reviews(other_world, 2)

    summary = selectors.rating_summary(doctor_id=world.doctor.pk)

    assert (summary.average, summary.count) == (3.5, 4)
    assert summary.distribution == [(5, 1), (4, 2), (3, 0), (2, 0), (1, 1)]
    assert summary.bars[1] == (4, 2, 50)
    assert selectors.rating_summary(clinic_id=world.clinic.pk).count == 4


def test_rating_summary_of_a_doctor_without_reviews_is_empty(world):
    summary = selectors.rating_summary(doctor_id=world.doctor.pk)

    assert (summary.average, summary.count, summary.bars[0]) == (None, 0, (5, 0, 0))


def test_published_list_is_newest_first_and_leaves_out_hidden_and_pending(world):
    old, new = reviews(world, 3, 5)
    reviews(world, 1, status=ReviewStatus.HIDDEN)

    assert list(selectors.review_list_published(doctor_id=world.doctor.pk)) == [new, old]


def test_with_doctor_rating_annotates_average_and_count(world, other_world):
    reviews(world, 5, 4)
    reviews(world, 1, status=ReviewStatus.HIDDEN)

    found = {d.pk: d for d in selectors.with_doctor_rating(Doctor.objects.all())}

    assert (found[world.doctor.pk].rating_average, found[world.doctor.pk].rating_count) == (4.5, 2)
    assert (
        found[other_world.doctor.pk].rating_average,
        found[other_world.doctor.pk].rating_count,
    ) == (
        None,
        0,
    )


def test_staff_see_reviews_of_the_clinics_they_manage_and_doctors_their_own(
    world, other_world, clinic_manager, doctor_user, receptionist, platform_admin
):
    mine = reviews(world, 4)[0]
    elsewhere = reviews(other_world, 2)[0]

    assert list(selectors.review_list_for_staff(clinic_manager)) == [mine]
    assert list(selectors.review_list_for_staff(doctor_user)) == [mine]
    assert list(selectors.review_list_for_staff(receptionist)) == []
    assert set(selectors.review_list_for_staff(platform_admin)) == {mine, elsewhere}
