"""Rating aggregates under real concurrency: patients reviewing the same doctor at once
while a manager hides a review. Threads with their own PostgreSQL connections."""

import pytest

from apps.reviews import selectors, services
from apps.reviews.models import Review, ReviewStatus
from tests.accounts.factories import PatientFactory
from tests.concurrency import race, summary
from tests.conftest import _staff, build_world
from tests.reviews.factories import ReviewFactory, completed_booking

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

RACERS = 20


def recomputed(doctor_id: int) -> tuple[float | None, int, list[tuple[int, int]]]:
    ratings = list(
        Review.objects.filter(doctor_id=doctor_id, status=ReviewStatus.PUBLISHED).values_list(
            "rating", flat=True
        )
    )
    average = sum(ratings) / len(ratings) if ratings else None
    return average, len(ratings), [(s, ratings.count(s)) for s in range(5, 0, -1)]


def test_concurrent_reviews_and_a_concurrent_hide_leave_the_summary_equal_to_a_recount():
    world = build_world(slot_count=0)
    manager = _staff("clinic_manager", world.clinic, "manager@example.test")
    existing = ReviewFactory(
        booking=completed_booking(doctor=world.doctor, clinic=world.clinic), rating=1
    )
    visits = [
        completed_booking(doctor=world.doctor, clinic=world.clinic, patient=PatientFactory())
        for _ in range(RACERS)
    ]
    calls = [
        lambda v=v, i=i: services.review_create(patient=v.patient, booking=v, rating=1 + i % 5)
        for i, v in enumerate(visits)
    ]
    calls.append(lambda: services.review_hide(review=existing, actor=manager, reason="Off topic"))
    # Each visit's own patient twice more: the second review of a visit must lose.
    calls += [
        lambda v=v: services.review_create(patient=v.patient, booking=v, rating=5)
        for v in visits[:5]
    ]

    outcomes = race(calls)

    counts = summary(outcomes)
    assert counts["won"] == RACERS + 1, counts
    assert counts["AlreadyReviewed"] == 5, counts
    assert sum(counts.values()) == RACERS + 6
    found = selectors.rating_summary(doctor_id=world.doctor.pk)
    assert (found.average, found.count, found.distribution) == recomputed(world.doctor.pk)
    assert found.count == RACERS  # the hidden one left, none of the doubles came in
    assert Review.objects.filter(doctor=world.doctor).count() == RACERS + 1
