"""Payment reads, scoped to the person asking."""

from django.db.models import QuerySet

from apps.payments.models import Payment, Receipt, Refund


def payment_for_patient(*, user, reference: str) -> Payment | None:
    """The payment of one of ``user``'s own bookings, or None (someone else's: not found)."""
    return (
        Payment.objects.select_related(
            "booking__clinic", "booking__doctor__user", "booking__service"
        )
        .filter(booking__reference=reference, booking__patient=user)
        .first()
    )


def receipt_list_for_patient(*, user) -> QuerySet[Receipt]:
    return Receipt.objects.filter(patient=user).select_related("payment__booking")


def receipt_get_for_patient(*, user, number: str) -> Receipt | None:
    return (
        receipt_list_for_patient(user=user)
        .select_related(
            "payment__booking__clinic",
            "payment__booking__doctor__user",
            "payment__booking__service",
            "refund",
        )
        .filter(number=number)
        .first()
    )


def money_trail_for_booking(booking) -> dict:
    """What a booking's page shows about money: the payment, refunds and receipts."""
    payment = Payment.objects.filter(booking=booking).first()
    if payment is None:
        return {"payment": None, "refunds": [], "receipts": []}
    return {
        "payment": payment,
        "refunds": list(Refund.objects.filter(payment=payment).order_by("number")),
        "receipts": list(Receipt.objects.filter(payment=payment).order_by("issued_at", "id")),
    }
