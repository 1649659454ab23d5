import itertools
from datetime import timedelta

import factory
from django.utils import timezone

from apps.bookings.models import BookingStatus
from apps.reviews.models import Review, ReviewStatus
from tests.bookings.factories import BookingFactory
from tests.timeslots.factories import SlotFactory

_visits = itertools.count()


def completed_booking(*, doctor=None, clinic=None, patient=None, days_ago: int = 2, **kwargs):
    """A visit that took place ``days_ago`` days ago (a row: the past cannot be booked)."""
    # Visits half an hour apart (at most ~20 days further back: inside the review window),
    # so one doctor's visits never share a slot.
    starts_at = timezone.now().replace(second=0, microsecond=0) - timedelta(
        days=days_ago, minutes=30 * (next(_visits) % 1000)
    )
    slot_kwargs = {"starts_at": starts_at}
    if doctor is not None:
        slot_kwargs["doctor"] = doctor
    if clinic is not None:
        slot_kwargs["clinic"] = clinic
    extra = {"patient": patient} if patient is not None else {}
    return BookingFactory(
        slot=SlotFactory(**slot_kwargs), status=BookingStatus.COMPLETED, **extra, **kwargs
    )


class ReviewFactory(factory.django.DjangoModelFactory):
    """A published review row of a completed visit (rules are tested through the service)."""

    class Meta:
        model = Review

    booking = factory.LazyFunction(completed_booking)
    patient = factory.SelfAttribute("booking.patient")
    doctor = factory.SelfAttribute("booking.doctor")
    clinic = factory.SelfAttribute("booking.clinic")
    rating = 4
    status = ReviewStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    hidden_reason = factory.LazyAttribute(
        lambda o: "Off topic" if o.status == ReviewStatus.HIDDEN else ""
    )
