"""Answers to signals of apps to our left, which cannot import bookings."""

from apps.timeslots.signals import slots_in_use


def _slots_held_by_bookings(sender, slot_ids, **kwargs) -> set[int]:
    from apps.bookings.models import Booking

    return set(
        Booking.objects.occupying().filter(slot_id__in=slot_ids).values_list("slot_id", flat=True)
    )


def connect() -> None:
    slots_in_use.connect(_slots_held_by_bookings, dispatch_uid="clinix.bookings.slots_in_use")
