"""Whenever the demo is seeded, the receptionist's day sheet has visits still to come today."""

from datetime import UTC, datetime

import pytest
import time_machine

from apps.bookings.models import Booking, BookingStatus
from apps.clinics.models import Clinic
from apps.core.timeutils import local_day_bounds
from apps.demo.seeding import DESK_CLINIC, seed

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TUESDAY_MORNING = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)  # 07:00 in Berlin


def later_today(clinic: Clinic) -> int:
    now = datetime.now(UTC)
    _start, end = local_day_bounds(now.astimezone(clinic.tz).date(), clinic.tz)
    return Booking.objects.filter(
        clinic=clinic, starts_at__gte=now, starts_at__lt=end, status=BookingStatus.CONFIRMED
    ).count()


def test_the_desk_clinic_has_visits_later_today_and_seeding_again_adds_none():
    with time_machine.travel(TUESDAY_MORNING):
        report = seed()
        clinic = Clinic.objects.get(slug=DESK_CLINIC)
        first = later_today(clinic)

        again = seed()

        assert first >= 4
        assert report.created["bookings today at the desk"] <= first
        assert "bookings today at the desk" not in again.created
        assert later_today(clinic) == first
