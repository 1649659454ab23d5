"""The patient's payment pages with the simulated gateway: book, pay, receipts."""

import pytest
from django.urls import reverse

from apps.bookings.models import Booking, BookingStatus
from apps.payments.models import Payment, PaymentStatus, Receipt
from tests.accounts.factories import PatientFactory
from tests.portal.conftest import verify

GOOD_CARD = {
    "name": "Maria Keller",
    "number": "4242 4242 4242 4242",
    "expiry": "12/30",
    "cvc": "123",
}
DECLINED = {**GOOD_CARD, "number": "4000 0000 0000 0002"}


@pytest.fixture
def patient_client(client, patient):
    client.force_login(verify(patient))
    return client


@pytest.fixture
def prepaid(world):
    world.clinic.requires_prepayment = True
    world.clinic.save()
    return world


def book(client, world, **extra):
    page = client.get(
        reverse("portal:book"), {"slot": world.slots[0].pk, "service": world.service.pk}
    )
    token = page.context["form"]["token"].value()
    return client.post(
        reverse("portal:book"),
        {"slot": world.slots[0].pk, "service": world.service.pk, "token": token, **extra},
    )


def test_a_prepaid_booking_is_held_and_goes_to_checkout(patient_client, prepaid):
    response = book(patient_client, prepaid)

    booking = Booking.objects.get()
    assert booking.status == BookingStatus.HELD
    assert response.url == reverse("payments:checkout", args=[booking.reference])
    page = patient_client.get(response.url)
    assert page.status_code == 200
    assert "€45.00" in page.content.decode()
    assert Payment.objects.get().intent_id.startswith("sim_pi_")


def test_paying_confirms_and_issues_a_receipt_listed_for_the_patient(patient_client, prepaid):
    book(patient_client, prepaid)
    booking = Booking.objects.get()
    url = reverse("payments:checkout", args=[booking.reference])
    patient_client.get(url)

    response = patient_client.post(url, GOOD_CARD)

    assert response.url == reverse("portal:appointment-detail", args=[booking.reference])
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    receipt = Receipt.objects.get()
    assert receipt.amount_minor == 4500
    listing = patient_client.get(reverse("portal:appointment-list")).content.decode()
    assert receipt.number in listing
    detail = patient_client.get(response.url).content.decode()
    assert receipt.number in detail
    printable = patient_client.get(reverse("payments:receipt-detail", args=[receipt.number]))
    assert printable.status_code == 200
    assert "€45.00" in printable.content.decode()


def test_a_declined_card_frees_the_time_and_charges_nothing(patient_client, prepaid):
    book(patient_client, prepaid)
    booking = Booking.objects.get()
    url = reverse("payments:checkout", args=[booking.reference])
    patient_client.get(url)

    patient_client.post(url, DECLINED)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.PAYMENT_FAILED
    assert Payment.objects.get().status == PaymentStatus.FAILED
    assert not Receipt.objects.exists()
    assert booking.events.filter(kind="payment_failed").exists()


def test_a_mistyped_card_is_a_field_error_and_changes_nothing(patient_client, prepaid):
    book(patient_client, prepaid)
    booking = Booking.objects.get()
    url = reverse("payments:checkout", args=[booking.reference])

    response = patient_client.post(url, {**GOOD_CARD, "expiry": "13/99"})

    assert response.status_code == 422
    assert response.context["form"].errors["expiry"]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD


def test_another_patients_checkout_and_receipts_are_not_found(client, patient_client, prepaid):
    book(patient_client, prepaid)
    booking = Booking.objects.get()
    url = reverse("payments:checkout", args=[booking.reference])
    patient_client.get(url)
    patient_client.post(url, GOOD_CARD)
    receipt = Receipt.objects.get()
    client.force_login(verify(PatientFactory()))

    assert client.get(url).status_code == 404
    assert client.post(url, GOOD_CARD).status_code == 404
    assert client.get(reverse("payments:receipt-detail", args=[receipt.number])).status_code == 404


def test_an_unknown_promo_code_is_a_field_error_and_books_nothing(patient_client, prepaid):
    response = book(patient_client, prepaid, promo_code="NOPE")

    assert response.status_code == 422
    assert response.context["form"].errors["promo_code"]
    assert not Booking.objects.exists()
