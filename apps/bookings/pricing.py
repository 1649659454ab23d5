"""The price a booking stores, and the hook through which payments sets it.

Bookings does not know discounts or promo codes (payments owns them and sits to our
right). ``booking_create`` takes a ``pricer``: it is called under the booking's locks,
after the time was validated and before the row is written, so quota and promo claims
happen in the same transaction as the booking, in one lock order (doctor, patient, then
whatever the pricer locks), and a refusal leaves nothing behind.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apps.core.money import Money


@dataclass(frozen=True, slots=True)
class PriceBreakdown:
    base: Money
    discount: Money
    promo: Money

    def __post_init__(self) -> None:
        if not (self.base.currency == self.discount.currency == self.promo.currency):
            raise ValueError("A price breakdown has one currency.")
        if min(self.base.amount_minor, self.discount.amount_minor, self.promo.amount_minor) < 0:
            raise ValueError("Price parts are never negative.")
        if self.discount.amount_minor + self.promo.amount_minor > self.base.amount_minor:
            raise ValueError("Reductions cannot exceed the base price.")

    @property
    def currency(self) -> str:
        return self.base.currency

    @property
    def total(self) -> Money:
        return self.base - self.discount - self.promo

    @classmethod
    def full(cls, base: Money) -> "PriceBreakdown":
        zero = Money(0, base.currency)
        return cls(base=base, discount=zero, promo=zero)


@dataclass(frozen=True, slots=True)
class PricingContext:
    """What a pricer may look at: who books what, where and when."""

    patient: object  # accounts.User
    service: object  # clinics.ServiceOffering
    clinic: object  # clinics.Clinic
    starts_at: datetime
    now: datetime


Pricer = Callable[[PricingContext], PriceBreakdown]


def list_price(context: PricingContext) -> PriceBreakdown:
    """The default pricer: the service's list price, no reductions."""
    return PriceBreakdown.full(Money(context.service.price_minor, context.clinic.currency))
