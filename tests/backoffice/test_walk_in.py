"""Booking for a walk-in or phone patient: find or add them, choose a free time, book
through the same booking service; who may, and what is on the record."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.urls import reverse

from apps.accounts.models import PatientProfile, User
from apps.accounts.roles import Role
from apps.accounts.services import PLACEHOLDER_EMAIL_DOMAIN
from apps.audit.models import AuditEntry
from apps.bookings.models import Booking, BookingStatus, EventKind
from apps.payments.models import Payment
from tests.accounts.factories import PatientFactory, UserFactory
from tests.bookings.factories import BookingFactory
from tests.clinics.factories import ClinicMembershipFactory
from tests.timeslots.factories import SlotFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("backoffice:walk-in")
NEW_PATIENT = reverse("backoffice:walk-in-patient")
#: 09:00 in Berlin on a Tuesday.
NOW = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
DAY = date(2026, 12, 8)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def today_slots(world):
    """Free times today from 10:00 Berlin time, every half hour."""
    return world.add_slots(4, start=datetime(2026, 12, 8, 9, 0, tzinfo=UTC))


@pytest.fixture
def anna(db):
    patient = PatientFactory(first_name="Anna", last_name="Schmidt", email="anna@example.test")
    PatientProfile.objects.filter(user=patient).update(phone="030 1234 5678")
    return patient


def page(client, world, **query):
    return client.get(PAGE, {"clinic": world.clinic.pk, "date": DAY.isoformat(), **query})


def book(client, world, patient, slot, **extra):
    data = {
        "clinic": world.clinic.pk,
        "date": DAY.isoformat(),
        "patient": patient.pk,
        "service": world.service.pk,
        "slot": slot.pk,
        **extra,
    }
    return client.post(PAGE, data)


def new_patient(**overrides):
    return {
        "first_name": "Jonas",
        "last_name": "Weber",
        "email": "jonas@example.test",
        "phone": "+49 30 5555 0000",
        "date_of_birth_day": "27",
        "date_of_birth_month": "3",
        "date_of_birth_year": "1985",
        "sex": "male",
        "preferred_language": "de",
        **overrides,
    }


# --- Finding the patient ------------------------------------------------------------------


@pytest.mark.parametrize("text", ["schmidt", "Anna Schm", "anna@example", "0301234", "1234 5678"])
def test_a_patient_is_found_by_name_email_or_phone(client, world, receptionist, anna, text):
    client.force_login(receptionist)
    response = page(client, world, q=text)
    assert response.status_code == 200
    assert "Anna Schmidt" in response.text
    assert f"patient={anna.pk}" in response.text


def test_search_finds_patients_only(client, world, receptionist, clinic_manager):
    client.force_login(receptionist)
    response = page(client, world, q="manager@example")
    assert "0 patients found" in response.text
    assert f"patient={clinic_manager.pk}" not in response.text


def test_a_too_short_search_asks_for_more(client, world, receptionist, anna):
    client.force_login(receptionist)
    response = page(client, world, q="an")
    assert "Type at least 3 characters" in response.text
    assert "Anna Schmidt" not in response.text


def test_choosing_a_patient_lists_todays_free_times_first_one_chosen(
    client, world, receptionist, anna, today_slots
):
    client.force_login(receptionist)
    response = page(client, world, patient=anna.pk)
    assert response.status_code == 200
    assert f'value="{today_slots[0].pk}" checked' in response.text
    assert "10:00" in response.text
    assert "Berlin time" in response.text
    # Tomorrow's free times are not today's.
    assert f'value="{world.slots[0].pk}"' not in response.text


def test_a_past_time_is_not_offered(client, world, receptionist, anna, today_slots):
    client.force_login(receptionist)
    with time_machine.travel(today_slots[1].starts_at + timedelta(minutes=1), tick=False):
        response = page(client, world, patient=anna.pk)
    assert f'value="{today_slots[0].pk}"' not in response.text
    assert f'value="{today_slots[1].pk}"' not in response.text
    assert f'value="{today_slots[2].pk}" checked' in response.text


# --- Booking ------------------------------------------------------------------------------


def test_booking_goes_through_the_booking_service_and_is_on_the_record(
    client, world, receptionist, anna, today_slots
):
    client.force_login(receptionist)
    response = book(client, world, anna, today_slots[0], notes="Walked in with a cough")

    booking = Booking.objects.get(patient=anna)
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:walk-in-done", args=[booking.reference])
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.slot == today_slots[0]
    assert booking.created_by == receptionist
    assert booking.patient_notes == "Walked in with a cough"
    assert booking.events.get(kind=EventKind.REQUESTED).actor == receptionist
    assert AuditEntry.objects.get(action="booking.create").actor == receptionist

    done = client.get(response["Location"])
    assert done.status_code == 200
    assert "Appointment booked" in done.text
    assert "10:00 (Berlin time)" in done.text
    assert reverse("backoffice:day-sheet") in done.text


def test_a_taken_time_is_refused_clearly_and_nothing_is_written(
    client, world, receptionist, anna, today_slots
):
    client.force_login(receptionist)
    BookingFactory(slot=today_slots[0], service=world.service)
    audit_before = AuditEntry.objects.count()

    response = book(client, world, anna, today_slots[0])

    assert response.status_code == 409
    assert "This time was just taken. Choose another time." in response.text
    assert not Booking.objects.filter(patient=anna).exists()
    assert AuditEntry.objects.count() == audit_before
    # The form is offered again with the next free time.
    assert f'value="{today_slots[1].pk}" checked' in response.text


def test_a_time_that_has_passed_gets_the_services_message(
    client, world, receptionist, anna, today_slots
):
    client.force_login(receptionist)
    with time_machine.travel(today_slots[0].starts_at + timedelta(minutes=5), tick=False):
        response = book(client, world, anna, today_slots[0])
    assert response.status_code == 422
    assert "This time has passed or starts too soon" in response.text
    assert not Booking.objects.filter(patient=anna).exists()


def test_a_patient_already_booked_then_is_told_in_staff_words(
    client, world, receptionist, anna, today_slots, other_world
):
    client.force_login(receptionist)
    elsewhere = SlotFactory(
        doctor=other_world.doctor, clinic=other_world.clinic, starts_at=today_slots[0].starts_at
    )
    BookingFactory(slot=elsewhere, patient=anna, service=other_world.service)
    response = book(client, world, anna, today_slots[0])
    assert response.status_code == 409
    assert "This patient already has an appointment at this time." in response.text


def test_no_time_chosen_is_a_form_error(client, world, receptionist, anna, today_slots):
    client.force_login(receptionist)
    response = client.post(
        PAGE,
        {"clinic": world.clinic.pk, "patient": anna.pk, "service": world.service.pk},
    )
    assert response.status_code == 422
    assert "Choose a time" in response.text
    assert not Booking.objects.exists()


def test_a_prepaid_clinic_holds_the_time_with_a_payment_like_the_portal(
    client, world, receptionist, anna, today_slots
):
    world.clinic.requires_prepayment = True
    world.clinic.save()
    client.force_login(receptionist)
    response = book(client, world, anna, today_slots[0])
    booking = Booking.objects.get(patient=anna)
    assert booking.status == BookingStatus.HELD
    assert Payment.objects.filter(booking=booking).exists()
    assert "awaiting payment" in client.get(response["Location"]).text


# --- New patients -------------------------------------------------------------------------


def test_a_new_patient_with_email_is_added_and_chosen(client, world, receptionist):
    client.force_login(receptionist)
    response = client.post(NEW_PATIENT, {"clinic": world.clinic.pk, **new_patient()})

    patient = User.objects.get(email="jonas@example.test")
    assert response.status_code == 302
    assert f"patient={patient.pk}" in response["Location"]
    assert patient.role == Role.PATIENT
    assert not patient.has_usable_password()
    assert not patient.is_staff
    profile = patient.patient_profile
    assert (profile.phone, profile.sex, profile.preferred_language) == (
        "+49 30 5555 0000",
        "male",
        "de",
    )
    assert profile.date_of_birth == date(1985, 3, 27)
    assert EmailAddress.objects.get(user=patient).verified is False
    audit = AuditEntry.objects.get(action="patient.create_by_staff")
    assert audit.actor == receptionist
    assert audit.target_id == str(patient.pk)


def test_a_new_patient_without_email_gets_a_placeholder_that_is_never_written_to(
    client, world, receptionist
):
    client.force_login(receptionist)
    response = client.post(
        NEW_PATIENT, {"clinic": world.clinic.pk, **new_patient(email="", phone="030 999 000")}
    )
    assert response.status_code == 302
    patient = User.objects.get(last_name="Weber")
    assert patient.email.endswith("@" + PLACEHOLDER_EMAIL_DOMAIN)
    assert not EmailAddress.objects.filter(user=patient).exists()
    shown = client.get(response["Location"])
    assert "no email address" in shown.text
    assert PLACEHOLDER_EMAIL_DOMAIN not in shown.text


def test_a_new_patient_needs_an_email_or_a_phone(client, world, receptionist):
    client.force_login(receptionist)
    response = client.post(
        NEW_PATIENT, {"clinic": world.clinic.pk, **new_patient(email="", phone="")}
    )
    assert response.status_code == 422
    assert "Enter an email address or a phone number" in response.text
    assert not User.objects.filter(last_name="Weber").exists()
    assert not AuditEntry.objects.filter(action="patient.create_by_staff").exists()


def test_an_email_already_in_use_is_a_field_error(client, world, receptionist, anna):
    client.force_login(receptionist)
    response = client.post(
        NEW_PATIENT, {"clinic": world.clinic.pk, **new_patient(email="ANNA@example.test")}
    )
    assert response.status_code == 422
    assert "Someone already has an account with this e-mail address" in response.text
    assert 'value="Jonas"' in response.text  # kept as typed
    assert not User.objects.filter(last_name="Weber").exists()


# --- Who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["receptionist", "nurse", "clinic_manager", "platform_admin"])
def test_front_desk_staff_may_book(client, world, persona, request, anna, today_slots):
    client.force_login(request.getfixturevalue(persona))
    assert page(client, world, patient=anna.pk).status_code == 200
    assert book(client, world, anna, today_slots[0]).status_code == 302


def test_doctors_and_patients_may_not(client, world, doctor_user, patient):
    for user in (doctor_user, patient):
        client.force_login(user)
        assert client.get(PAGE).status_code == 403
        assert client.post(NEW_PATIENT, new_patient()).status_code == 403
    assert not User.objects.filter(last_name="Weber").exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get(PAGE).status_code == 302


def test_another_clinics_times_cannot_be_booked(
    client, world, other_world, receptionist, anna, today_slots
):
    client.force_login(receptionist)
    assert page(client, other_world).status_code == 404
    foreign = other_world.add_slots(1, start=datetime(2026, 12, 8, 11, 0, tzinfo=UTC))[0]
    response = client.post(
        PAGE,
        {
            "clinic": other_world.clinic.pk,
            "patient": anna.pk,
            "service": other_world.service.pk,
            "slot": foreign.pk,
        },
    )
    assert response.status_code == 404
    # Our clinic's service on the other clinic's slot: the booking service says no.
    response = book(client, world, anna, foreign)
    assert response.status_code == 422
    assert not Booking.objects.exists()


def test_the_confirmation_of_another_clinics_booking_is_not_found(
    client, world, other_world, receptionist
):
    client.force_login(receptionist)
    foreign = BookingFactory(slot=other_world.slots[0], service=other_world.service)
    url = reverse("backoffice:walk-in-done", args=[foreign.reference])
    assert client.get(url).status_code == 404


def test_a_receptionist_of_two_clinics_chooses_between_them(
    client, world, other_world, receptionist
):
    ClinicMembershipFactory(user=receptionist, clinic=other_world.clinic, role=Role.RECEPTIONIST)
    client.force_login(receptionist)
    patient = PatientFactory()
    response = page(client, other_world, patient=patient.pk)
    assert response.status_code == 200
    assert other_world.clinic.name in response.text
    assert world.clinic.name in response.text


def test_page_queries_do_not_grow_with_free_times(
    client, world, receptionist, anna, today_slots, django_assert_max_num_queries
):
    client.force_login(receptionist)
    page(client, world, patient=anna.pk)
    with django_assert_max_num_queries(20) as few:
        page(client, world, patient=anna.pk)
    world.add_slots(16, start=today_slots[-1].ends_at)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = page(client, world, patient=anna.pk)
    assert response.text.count('name="slot"') == 20


def test_staff_accounts_are_never_offered_as_patients(client, world, receptionist):
    staff = UserFactory(first_name="Anna", last_name="Staff", role=Role.NURSE)
    client.force_login(receptionist)
    response = page(client, world, patient=staff.pk)
    assert "Find a patient" in response.text
    assert f'name="patient" value="{staff.pk}"' not in response.text


def test_changing_service_or_day_with_htmx_answers_the_time_step_only(
    client, world, receptionist, anna, today_slots
):
    client.force_login(receptionist)
    response = client.get(
        PAGE,
        {"clinic": world.clinic.pk, "patient": anna.pk, "date": "2026-12-10"},
        headers={"HX-Request": "true", "HX-Target": "walk-in-time"},
    )
    assert response.status_code == 200
    assert response.text.startswith('<section id="walk-in-time"')
    assert "Thursday 10 December" in response.text
    assert "<html" not in response.text


def test_the_day_sheet_button_presets_clinic_and_day(client, world, receptionist):
    client.force_login(receptionist)
    sheet = client.get(reverse("backoffice:day-sheet"), {"clinic": world.clinic.pk})
    assert f"{PAGE}?clinic={world.clinic.pk}&amp;date={DAY.isoformat()}" in sheet.text


def test_a_day_in_the_past_falls_back_to_today(client, world, receptionist, anna, today_slots):
    client.force_login(receptionist)
    response = page(client, world, patient=anna.pk, date="2026-12-01")
    assert "Tuesday 8 December" in response.text
    assert f'value="{today_slots[0].pk}" checked' in response.text
