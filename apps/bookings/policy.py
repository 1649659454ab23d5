"""The cancellation policy: what a cancellation costs, decided once for pages, API and refunds."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from apps.bookings.models import Booking, BookingStatus
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


@dataclass(frozen=True, slots=True)
class CancellationQuote:
    """What cancelling now means, in money, for the confirmation dialog."""

    terms: CancellationTerms
    paid: Money
    refund: Money

    @property
    def fee(self) -> Money:
        return self.paid - self.refund


def cancellation_quote(booking: Booking, *, now: datetime) -> CancellationQuote:
    """The terms and the refund of cancelling ``booking`` at ``now``.

    What was paid online is the booking's total when its clinic takes payment up front
    and the booking got past the hold; otherwise the patient pays at the visit and
    cancelling costs nothing.
    """
    terms = cancellation_terms(booking, now=now)
    prepaid = booking.clinic.requires_prepayment and booking.status == BookingStatus.CONFIRMED
    paid = booking.price_total if prepaid else Money(0, booking.currency)
    return CancellationQuote(terms=terms, paid=paid, refund=terms.refund_of(paid))
