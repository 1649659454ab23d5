"""Hand-built rows for dashboard tests: bookings at exact local times, payments, refunds.

Rows are written directly (as the demo history is): the dashboard reads history, and
these tests need times and states the booking services would refuse (the past).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apps.bookings.models import Booking, BookingStatus
from apps.dashboard.scope import Scope
from apps.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from tests.accounts.factories import PatientFactory
from tests.bookings.factories import BookingFactory
from tests.clinics.factories import ClinicFactory, ServiceOfferingFactory
from tests.doctors.factories import DoctorFactory


class Place:
    """A clinic in ``zone`` with one doctor and one 30-minute service."""

    def __init__(self, zone: str = "Europe/Berlin", currency: str = "EUR", price: int = 4500):
        self.clinic = ClinicFactory(timezone=zone, currency=currency)
        self.service = ServiceOfferingFactory(
            clinic=self.clinic, duration_minutes=30, price_minor=price
        )
        self.doctor = DoctorFactory(services=[self.service])
        self.tz = ZoneInfo(zone)

    @classmethod
    def of(cls, world) -> "Place":
        """The conftest ``world`` (its clinic, service and doctor) as a Place."""
        place = cls.__new__(cls)
        place.clinic, place.service, place.doctor = world.clinic, world.service, world.doctor
        place.tz = world.clinic.tz
        return place

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz)

    def book(
        self,
        starts_at: datetime,
        *,
        status: str = BookingStatus.COMPLETED,
        patient=None,
        booked_ahead: timedelta = timedelta(days=2),
        discount: int = 0,
        promo: int = 0,
        service=None,
        doctor=None,
    ) -> Booking:
        service = service or self.service
        base = service.price_minor
        booking = BookingFactory(
            slot=None,
            clinic=self.clinic,
            doctor=doctor or self.doctor,
            service=service,
            patient=patient or PatientFactory(),
            starts_at=starts_at,
            status=status,
            price_base_minor=base,
            price_discount_minor=discount,
            price_promo_minor=promo,
            price_total_minor=base - discount - promo,
            hold_expires_at=starts_at if status == BookingStatus.HELD else None,
        )
        Booking.objects.filter(pk=booking.pk).update(created_at=starts_at - booked_ahead)
        booking.refresh_from_db()
        return booking


def paid(booking: Booking) -> Payment:
    return Payment.objects.create(
        booking=booking,
        gateway="simulated",
        amount_minor=booking.price_total_minor,
        currency=booking.currency,
        status=PaymentStatus.SUCCEEDED,
        captured_minor=booking.price_total_minor,
    )


def refunded(payment: Payment, amount: int, at: datetime, *, status=RefundStatus.SUCCEEDED):
    number = payment.refunds.count() + 1
    return Refund.objects.create(
        payment=payment,
        number=number,
        amount_minor=amount,
        currency=payment.currency,
        reason="test",
        status=status,
        idempotency_key=f"test-refund-{payment.pk}-{number}",
        completed_at=at if status == RefundStatus.SUCCEEDED else None,
    )


def scope_of(clinics, first: date, last: date, granularity: str = "day") -> Scope:
    from apps.clinics.models import Clinic

    ids = [c.pk for c in clinics]
    return Scope(
        clinics=Clinic.objects.filter(pk__in=ids),
        date_from=first,
        date_to=last,
        granularity=granularity,
    )
