import uuid

import pytest
from django.urls import reverse

from apps.bookings import services
from apps.bookings.models import Booking, BookingStatus
from tests.accounts.factories import PatientFactory
from tests.portal.conftest import verify

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def book_url(world, slot=None):
    slot = slot or world.slots[0]
    return f"{reverse('portal:book')}?slot={slot.pk}&service={world.service.pk}"


def confirm(client, world, slot=None, token=None, notes="", headers=None):
    slot = slot or world.slots[0]
    return client.post(
        reverse("portal:book"),
        {
            "slot": slot.pk,
            "service": world.service.pk,
            "token": token or uuid.uuid4(),
            "notes": notes,
        },
        headers=headers or {},
    )


def test_booking_needs_a_signed_in_patient(client, world):
    response = client.get(book_url(world))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"]


def test_the_summary_shows_doctor_time_in_clinic_zone_and_price(patient_client, world):
    response = patient_client.get(book_url(world))

    body = response.content.decode()
    local = world.slots[0].starts_at.astimezone(world.clinic.tz)
    assert response.status_code == 200
    assert response.context["state"] == "ready"
    assert world.doctor.display_name in body
    assert f"{local:%H:%M} (Berlin time)" in body
    assert "€45.00" in body
    assert "Confirm booking" in body
    assert "Free cancellation until" in body


def test_confirming_books_and_leads_to_the_appointment(patient_client, world, verified_patient):
    response = confirm(patient_client, world, notes="Back pain since Monday")

    booking = Booking.objects.get(patient=verified_patient)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:appointment-detail", args=[booking.reference])
    assert booking.patient_notes == "Back pain since Monday"
    assert booking.status == BookingStatus.CONFIRMED


def test_confirming_with_htmx_redirects_the_browser(patient_client, world, verified_patient):
    response = confirm(patient_client, world, headers=HTMX)

    booking = Booking.objects.get(patient=verified_patient)
    assert response["HX-Redirect"] == reverse("portal:appointment-detail", args=[booking.reference])


def test_a_double_submit_books_once(patient_client, world, verified_patient):
    token = uuid.uuid4()
    first = confirm(patient_client, world, token=token)
    second = confirm(patient_client, world, token=token)

    assert Booking.objects.filter(patient=verified_patient).count() == 1
    assert second.status_code == 302
    assert second["Location"] == first["Location"]


def test_coming_back_to_a_booked_time_says_so(patient_client, world):
    confirm(patient_client, world)

    response = patient_client.get(book_url(world))

    assert response.context["state"] == "booked"
    assert "You have booked this time" in response.content.decode()


def test_a_time_taken_meanwhile_shows_the_message_and_alternatives(
    patient_client, world, verified_patient
):
    services.booking_create(
        patient=PatientFactory(), slot_id=world.slots[0].pk, service_id=world.service.pk
    )

    response = confirm(patient_client, world, headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 409
    assert "This time was just taken." in body
    assert response["HX-Trigger"] == "slots-changed"
    alternatives = response.context["alternatives"]
    assert alternatives
    assert world.slots[0] not in alternatives
    assert f"?slot={alternatives[0].pk}&amp;service={world.service.pk}" in body
    assert not Booking.objects.filter(patient=verified_patient).exists()


def test_the_summary_of_a_taken_time_offers_alternatives_straight_away(patient_client, world):
    services.booking_create(
        patient=PatientFactory(), slot_id=world.slots[0].pk, service_id=world.service.pk
    )

    response = patient_client.get(book_url(world))

    assert response.context["state"] == "taken"
    assert "Confirm booking" not in response.content.decode()


def test_a_patient_already_busy_then_is_told_so(patient_client, world, other_world):
    confirm(patient_client, world)

    response = confirm(patient_client, other_world)  # same time, other clinic

    assert response.status_code == 409
    assert "You already have an appointment at this time." in response.content.decode()


def test_an_unverified_email_must_be_confirmed_first(client, world, patient):
    client.force_login(patient)

    page = client.get(book_url(world))
    post = confirm(client, world)

    assert page.context["state"] == "unverified"
    assert "Confirm your email address first" in page.content.decode()
    assert post.status_code == 403
    assert not Booking.objects.exists()


def test_too_long_notes_are_a_field_error_and_book_nothing(patient_client, world):
    response = confirm(patient_client, world, notes="x" * 1001, headers=HTMX)

    assert response.status_code == 422
    assert "error-summary" in response.content.decode()
    assert not Booking.objects.exists()


@pytest.mark.parametrize("query", ["?slot=abc&service=1", "?slot=999999&service=1", ""])
def test_a_broken_booking_link_is_not_found(patient_client, world, query):
    assert patient_client.get(reverse("portal:book") + query).status_code == 404


def test_a_tampered_post_for_a_service_the_doctor_does_not_offer_books_nothing(
    patient_client, world, other_world
):
    response = patient_client.post(
        reverse("portal:book"),
        {"slot": world.slots[0].pk, "service": other_world.service.pk, "token": uuid.uuid4()},
    )

    assert response.status_code == 422
    assert "does not offer this service" in response.content.decode()
    assert not Booking.objects.exists()


def test_every_booking_form_and_htmx_request_carries_csrf(world, verified_patient):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(verified_patient)
    page = strict.get(book_url(world))
    body = page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in body
    assert "X-CSRFToken" in body

    refused = strict.post(
        reverse("portal:book"),
        {"slot": world.slots[0].pk, "service": world.service.pk, "token": uuid.uuid4()},
    )
    assert refused.status_code == 403
    assert not Booking.objects.exists()


def test_summary_queries_are_bounded(patient_client, world, django_assert_max_num_queries):
    verify(PatientFactory())
    # 14 for the page, and the price: the discount policy and the patient's profile.
    with django_assert_max_num_queries(16):
        patient_client.get(book_url(world))


def test_alternatives_leave_out_times_that_clash_with_the_patients_own_visits(
    patient_client, world, other_world, verified_patient
):
    # The patient is busy at the other clinic from the world's second to third slot.
    services.booking_create(
        patient=verified_patient,
        slot_id=other_world.slots[1].pk,
        service_id=other_world.service.pk,
    )
    services.booking_create(
        patient=PatientFactory(), slot_id=world.slots[0].pk, service_id=world.service.pk
    )

    response = confirm(patient_client, world)

    alternatives = response.context["alternatives"]
    assert world.slots[2] in alternatives
    assert world.slots[1] not in alternatives  # same time as the patient's other visit
