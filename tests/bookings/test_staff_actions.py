"""staff_actions_for says yes exactly when the services say yes: for every status, and
before, at and after the start, on and off the visit day (clinic time)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from apps.bookings import services
from apps.bookings.models import BookingStatus
from apps.bookings.staff_actions import StaffAction, staff_actions_for
from apps.core.errors import DomainError
from tests.bookings.factories import BookingFactory
from tests.clinics.factories import ClinicFactory
from tests.timeslots.factories import SlotFactory

pytestmark = pytest.mark.django_db

#: 22:00 in Auckland (UTC+13): the visit day there is not the UTC day.
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
OFFSETS = [
    timedelta(hours=-3),
    timedelta(minutes=-10),
    timedelta(minutes=20),
    timedelta(hours=1, minutes=30),  # 23:30 local: still today
    timedelta(hours=2, minutes=30),  # 00:30 local: tomorrow, though the same UTC day
    timedelta(days=1),
]


def _try(action: StaffAction, booking) -> bool:
    """Whether the service accepts ``action`` now; nothing it writes is kept."""
    calls = {
        StaffAction.CHECK_IN: lambda: services.booking_check_in(booking=booking, actor=None),
        StaffAction.NO_SHOW: lambda: services.booking_mark_no_show(booking=booking, actor=None),
        StaffAction.COMPLETE: lambda: services.booking_complete(booking=booking, actor=None),
        StaffAction.CANCEL: lambda: services.booking_cancel(
            booking=booking, actor=None, reason="Agreement test", by_clinic=True
        ),
    }
    with transaction.atomic():
        try:
            calls[action]()
        except DomainError:
            return False
        transaction.set_rollback(True)
    return True


@pytest.mark.parametrize("status", BookingStatus.values)
def test_the_rule_and_the_services_agree(status):
    clinic = ClinicFactory(timezone="Pacific/Auckland")
    with time_machine.travel(NOW, tick=False):
        for offset in OFFSETS:
            slot = SlotFactory(clinic=clinic, starts_at=NOW + offset)
            booking = BookingFactory(
                slot=slot,
                status=status,
                hold_expires_at=NOW + timedelta(minutes=15) if status == "held" else None,
            )
            offered = set(staff_actions_for(booking, NOW))
            accepted = {a for a in StaffAction if _try(a, booking)}
            assert offered == accepted, (status, offset)


def test_a_late_evening_visit_is_checked_in_on_its_local_day():
    clinic = ClinicFactory(timezone="America/Los_Angeles")
    # 23:30 on 8 December in Los Angeles: 07:30 on 9 December in UTC.
    booking = BookingFactory(
        slot=SlotFactory(clinic=clinic, starts_at=datetime(2026, 12, 9, 7, 30, tzinfo=UTC))
    )
    evening = datetime(2026, 12, 9, 4, 0, tzinfo=UTC)  # 20:00 local on the 8th
    morning_after = datetime(2026, 12, 9, 8, 30, tzinfo=UTC)  # 00:30 local on the 9th
    assert StaffAction.CHECK_IN in staff_actions_for(booking, evening)
    assert StaffAction.CHECK_IN not in staff_actions_for(booking, morning_after)
