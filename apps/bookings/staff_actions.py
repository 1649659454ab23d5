"""Which visit-day steps staff may offer on a booking now: one rule for every staff page.

The services (``booking_check_in``, ``booking_mark_no_show``, ``booking_complete``,
``booking_cancel``) stay the authority: they lock the row and check again. This module
states the same conditions without I/O, so a page shows only the buttons the services would
accept at ``now``; tests/bookings/test_staff_actions.py proves the two agree for every
status and time.
"""

from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.bookings.models import UPCOMING_STATUSES, Booking, BookingStatus


class StaffAction(models.TextChoices):
    CHECK_IN = "check-in", _("Check in")
    NO_SHOW = "no-show", _("No-show")
    COMPLETE = "complete", _("Complete")
    CANCEL = "cancel", _("Cancel")


#: Status each step starts from (the services' ``sources``).
_SOURCES = {
    StaffAction.CHECK_IN: (BookingStatus.CONFIRMED,),
    StaffAction.NO_SHOW: (BookingStatus.CONFIRMED,),
    StaffAction.COMPLETE: (BookingStatus.CHECKED_IN, BookingStatus.CONFIRMED),
    StaffAction.CANCEL: UPCOMING_STATUSES,
}


def staff_actions_for(booking: Booking, now: datetime) -> tuple[StaffAction, ...]:
    """The steps the services would allow on ``booking`` at ``now``, in display order.

    Reads ``booking.clinic`` (its time zone decides the visit day): select it with the
    booking when asking about many.
    """
    started = booking.starts_at <= now
    zone = booking.clinic.tz
    visit_day = booking.starts_at.astimezone(zone).date() == now.astimezone(zone).date()
    allowed = {
        StaffAction.CHECK_IN: visit_day,
        StaffAction.NO_SHOW: started,
        StaffAction.COMPLETE: started,
        StaffAction.CANCEL: not started,
    }
    return tuple(
        action for action in StaffAction if booking.status in _SOURCES[action] and allowed[action]
    )
