"""What bookings announce to the apps to its right (payments, notifications), which it
never imports.

``booking_changed`` is sent inside the transaction of every status change, after the
timeline event is written, with ``booking`` (locked, saved), ``previous`` (the old status,
None for a new booking) and ``event`` (the BookingEvent). Receivers write their own rows
in the same transaction (a refund row, a released promo use) and leave network calls to
``transaction.on_commit``. An exception in a receiver rolls the change back.
"""

from django.dispatch import Signal

booking_changed = Signal()
