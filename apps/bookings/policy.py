"""The cancellation policy: what a cancellation costs, decided once for pages, API and refunds."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from apps.bookings.models import Booking
from apps.core.money import Money


@dataclass(frozen=True, slots=True)
class CancellationTerms:
    free: bool
    refund_percent: int
    cutoff: datetime

    def refund_of(self, paid: Money) -> Money:
        return paid.percent(self.refund_percent)


def cancellation_terms(
    booking: Booking, *, now: datetime, by_clinic: bool = False
) -> CancellationTerms:
    """Free before the clinic's cut-off; after it, the clinic's late-refund share.

    A cancellation by the clinic is always free for the patient.
    """
    clinic = booking.clinic
    cutoff = booking.starts_at - timedelta(hours=clinic.cancellation_cutoff_hours)
    if by_clinic or now <= cutoff:
        return CancellationTerms(free=True, refund_percent=100, cutoff=cutoff)
    return CancellationTerms(
        free=False, refund_percent=clinic.late_cancellation_refund_percent, cutoff=cutoff
    )
