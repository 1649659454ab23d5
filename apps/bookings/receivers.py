"""Answers to signals of apps to our left, which cannot import bookings, and the
waitlist's answer to our own ``booking_changed``."""

from apps.timeslots.signals import slots_in_use


def _slots_held_by_bookings(sender, slot_ids, **kwargs) -> set[int]:
    from apps.bookings.models import Booking

    return set(
        Booking.objects.occupying().filter(slot_id__in=slot_ids).values_list("slot_id", flat=True)
    )


def connect() -> None:
    from apps.bookings import waitlist
    from apps.bookings.signals import booking_changed

    slots_in_use.connect(_slots_held_by_bookings, dispatch_uid="clinix.bookings.slots_in_use")
    # The waitlist answers freed times; it is part of bookings, so it cannot be left to
    # an app to our right (and it must run in the transaction that frees the time).
    booking_changed.connect(waitlist.on_booking_changed, dispatch_uid="clinix.bookings.waitlist")
