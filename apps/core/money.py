"""Money as integer minor units plus an ISO 4217 code. Never floats."""

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency
from django.conf import settings
from django.utils.translation import get_language, to_locale

# Minor-unit exponents of the currencies Clinix accepts (ISO 4217).
CURRENCY_EXPONENTS: dict[str, int] = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "INR": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "JPY": 0,
}
CURRENCY_CHOICES = [(code, code) for code in sorted(CURRENCY_EXPONENTS)]


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise TypeError("Money amounts are integers in minor units.")
        if self.currency not in CURRENCY_EXPONENTS:
            raise ValueError(f"Unknown currency {self.currency!r}.")

    @property
    def amount(self) -> Decimal:
        """The amount in major units, exact (for display and export only)."""
        return Decimal(self.amount_minor).scaleb(-CURRENCY_EXPONENTS[self.currency])

    def percent(self, percent: int) -> "Money":
        """``percent`` % of this amount, rounded half up to the minor unit."""
        return Money((self.amount_minor * percent + 50) // 100, self.currency)

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def _same_currency(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise ValueError(f"Cannot combine {self.currency} with {other.currency}.")

    def __str__(self) -> str:
        """Formatted for the active language: "€45.00" in English, "45,00 €" in German."""
        return format_currency(
            self.amount, self.currency, locale=to_locale(get_language() or settings.LANGUAGE_CODE)
        )
