"""Payment and pricing errors, shown to patients as they are."""

from django.utils.translation import gettext_lazy as _

from apps.core.errors import DomainError


class PaymentError(DomainError):
    code = "payment-error"


class PromoCodeInvalid(PaymentError):
    message = _("This promo code cannot be used.")
    code = "promo-code-invalid"
    http_status = 422


class DiscountQuotaUsedUp(PaymentError):
    message = _(
        "Today's discounts are all taken, and discounted bookings are not made at the full "
        "price. Please try again tomorrow."
    )
    code = "discount-quota-used-up"
    http_status = 409


class PaymentNotPossible(PaymentError):
    message = _("This booking cannot be paid any more.")
    code = "payment-not-possible"
    http_status = 409


class RefundNotPossible(PaymentError):
    message = _("This refund is not possible.")
    code = "refund-not-possible"
    http_status = 409
