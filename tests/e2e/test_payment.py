"""Paying in the browser with the simulated gateway: book with a promo code, pay, cancel,
see the refund and both receipts."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.bookings.models import Booking, BookingStatus
from apps.payments import services as payment_services
from apps.payments.models import PromoCode, Refund, RefundStatus
from tests.accounts.factories import PatientFactory
from tests.e2e.helpers import axe_violations, book_path, detail_path, shoot
from tests.portal.conftest import verify

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def prepaid(world):
    world.clinic.requires_prepayment = True
    world.clinic.save()
    return world


def test_book_pay_cancel_and_see_the_refund_and_receipts(new_context, prepaid):
    now = timezone.now()
    PromoCode.objects.create(
        code="WELCOME10",
        kind="percent",
        percent=10,
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )
    patient = verify(PatientFactory())
    page = new_context(user=patient).new_page()

    page.goto(book_path(prepaid.slots[0], prepaid.service))
    expect(page.get_by_text("Paid online when you book")).to_be_visible()
    page.get_by_label("Promo code").fill("welcome10")
    page.get_by_role("button", name="Confirm booking").click()

    # Checkout: the breakdown, the time left, the card form.
    expect(page.get_by_role("heading", name="Pay for your appointment")).to_be_visible()
    booking = Booking.objects.get(patient=patient)
    assert booking.status == BookingStatus.HELD
    assert (booking.price_base_minor, booking.price_promo_minor) == (4500, 450)
    expect(page.get_by_text("€40.50").first).to_be_visible()
    expect(page.get_by_text("Your time is reserved until")).to_be_visible()
    shoot(page, "checkout")
    assert axe_violations(page, "checkout") == []
    page.get_by_label("Name on the card").fill("Test Patient")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name=re.compile("Pay €40.50")).click()

    expect(page.get_by_text("Paid. Your appointment is confirmed.")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(detail_path(booking.reference)) + "$"))
    expect(page.get_by_role("link", name=re.compile("Payment receipt"))).to_be_visible()
    shoot(page, "paid-appointment")

    # Cancel in time: a full refund, sent after commit (here by hand: no worker runs).
    page.get_by_role("link", name="Cancel appointment").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("€40.50")
    dialog.get_by_role("button", name="Yes, cancel appointment").click()
    expect(page.get_by_text("Your appointment is cancelled.")).to_be_visible()
    refund = Refund.objects.get(payment__booking=booking)
    payment_services.refund_execute(refund.pk)
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.SUCCEEDED

    page.reload()
    expect(page.get_by_role("link", name=re.compile("Refund receipt"))).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Refunded")
    shoot(page, "refunded-appointment")
    page.get_by_role("link", name=re.compile("Refund receipt")).click()
    expect(page.get_by_role("heading", name=re.compile("Refund receipt"))).to_be_visible()
    expect(page.get_by_text("€40.50")).to_be_visible()
    shoot(page, "refund-receipt")
    page.goto("/appointments/")
    expect(page.get_by_role("region", name="Receipts").locator("tbody tr")).to_have_count(2)
