"""The emergency block page: who may use it, bad input, the preview, applying, repeats."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.bookings import services
from apps.bookings.models import Booking, BookingStatus
from apps.timeslots.models import SlotStatus
from tests.accounts.factories import PatientFactory
from tests.clinics.factories import ClinicMembershipFactory
from tests.conftest import build_world
from tests.payments.factories import book as checkout_book
from tests.payments.factories import make_prepaid, no_discounts, pay

pytestmark = pytest.mark.django_db

URL = reverse("backoffice:emergency-block")


def local(value, clinic) -> str:
    return value.astimezone(clinic.tz).strftime("%Y-%m-%dT%H:%M")


def params(world, first=0, last=3, **overrides) -> dict:
    """The step-1 fields for blocking slots[first..last] of the world's doctor."""
    data = {
        "clinic": world.clinic.pk,
        "doctor": world.doctor.pk,
        "starts": local(world.slots[first].starts_at, world.clinic),
        "ends": local(world.slots[last].ends_at, world.clinic),
        "reason": "Doctor ill",
        "step": "preview",
    }
    return data | overrides


def book(world, patient, index):
    return services.booking_create(
        patient=patient, slot_id=world.slots[index].pk, service_id=world.service.pk
    )


def nothing_blocked(world) -> bool:
    return not world.doctor.slots.filter(status=SlotStatus.BLOCKED).exists()


# --- Who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["receptionist", "clinic_manager", "platform_admin"])
def test_front_desk_managers_and_admins_see_the_form_and_the_preview(client, world, role, request):
    client.force_login(request.getfixturevalue(role))

    page = client.get(URL)
    preview = client.get(URL, params(world))

    assert page.status_code == 200
    assert "Which doctor, and when?" in page.text
    assert preview.status_code == 200
    assert "Check what the block does" in preview.text


@pytest.mark.parametrize("role", ["nurse", "doctor_user", "patient"])
def test_nurses_doctors_and_patients_are_refused(client, world, role, request):
    client.force_login(request.getfixturevalue(role))

    assert client.get(URL).status_code == 403
    assert client.get(URL, params(world)).status_code == 403
    assert client.post(URL, params(world)).status_code == 403
    assert nothing_blocked(world)
    assert AuditEntry.objects.filter(action="auth.permission_denied").count() == 3


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get(URL)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_another_clinics_clinic_or_doctor_is_not_found(client, world, other_world, receptionist):
    client.force_login(receptionist)
    theirs = params(other_world)

    assert client.get(URL, {"clinic": other_world.clinic.pk}).status_code == 404
    assert client.get(URL, theirs).status_code == 404
    assert client.get(URL, params(world, doctor=other_world.doctor.pk)).status_code == 404
    assert client.post(URL, theirs).status_code == 404
    assert client.post(URL, params(world, doctor=other_world.doctor.pk)).status_code == 404
    assert nothing_blocked(other_world)


# --- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"ends": "swap"}, "ends", "The end must be after the start."),
        ({"reason": "  "}, "reason", "Enter the reason for the block."),
        ({"starts": "2020-01-01T09:00", "ends": "2020-01-01T12:00"}, "ends", "already over"),
        ({"starts": "tomorrow"}, "starts", "Enter a date and time"),
        ({"doctor": ""}, "doctor", "Choose the doctor."),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_bad_input_gets_field_errors_and_changes_nothing(
    client, world, patient, receptionist, change, field, message, method
):
    booking = book(world, patient, 1)
    data = params(world)
    if change.get("ends") == "swap":
        data["starts"], data["ends"] = data["ends"], data["starts"]
    else:
        data.update(change)
    client.force_login(receptionist)

    response = getattr(client, method)(URL, data)

    assert response.status_code == 422
    assert response.context["form"].has_error(field)
    assert message in response.text
    assert "There is a problem" in response.text
    assert nothing_blocked(world)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_a_doctor_of_another_of_my_clinics_is_a_field_error(client, world, receptionist):
    elsewhere = build_world()
    ClinicMembershipFactory(user=receptionist, clinic=elsewhere.clinic, role="receptionist")
    client.force_login(receptionist)

    response = client.get(URL, params(world, doctor=elsewhere.doctor.pk))

    assert response.status_code == 422
    assert "Choose a doctor who works at this clinic." in response.text


def test_a_made_up_choice_is_refused_and_changes_nothing(client, world, patient, receptionist):
    booking = book(world, patient, 1)
    client.force_login(receptionist)

    response = client.post(URL, params(world) | {f"decision-{booking.pk}": "delete-everything"})

    assert response.status_code == 422
    assert nothing_blocked(world)


# --- Preview ------------------------------------------------------------------------------------


def test_the_preview_shows_each_booking_its_money_and_its_proposed_time(
    client, world, patient, other_patient, receptionist
):
    no_discounts()
    make_prepaid(world)
    paid = checkout_book(world, patient, slot=1)
    pay(paid)
    world.doctor.slots.filter(starts_at__gte=world.slots[4].starts_at).exclude(
        pk=world.slots[4].pk
    ).delete()
    unpaid = book(world, other_patient, 2)  # held, unpaid
    client.force_login(receptionist)

    response = client.get(URL, params(world))

    text = response.text
    assert response.status_code == 200
    assert "4 slots to block" in text
    assert "2 appointments affected" in text
    assert "(Berlin time)" in text
    assert paid.patient.get_full_name() in text
    assert unpaid.patient.get_full_name() in text
    assert "€45.00" in text
    assert "No alternative" in text  # one free time left after the block: the first gets it
    assert f'value="move-{world.slots[4].pk}" checked' in text
    assert f'name="decision-{unpaid.pk}" value="cancel" checked' in text
    assert "1 appointment will be cancelled." in text
    assert "1 appointment will be moved." in text
    assert "Every patient affected is notified." in text
    assert nothing_blocked(world)


def test_the_summary_follows_the_choices(client, world, patient, receptionist):
    no_discounts()
    make_prepaid(world)
    booking = checkout_book(world, patient, slot=1)
    pay(booking)
    client.force_login(receptionist)

    response = client.get(
        URL,
        params(world) | {f"decision-{booking.pk}": "cancel", "part": "consequence"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="emergency-consequence"')
    assert "1 appointment will be cancelled, with refunds totalling €45.00." in response.text
    assert "0 appointments will be moved." in response.text


def test_htmx_gets_the_preview_fragment_only(client, world, receptionist):
    client.force_login(receptionist)

    response = client.get(URL, params(world), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Check what the block does" in response.text
    assert "HX-Request" in response["Vary"]


def test_the_preview_costs_the_same_queries_for_one_or_ten_bookings(
    client, receptionist, django_assert_max_num_queries
):
    one, ten = build_world(slot_count=30), build_world(slot_count=30)
    for world, count in ((one, 1), (ten, 10)):
        ClinicMembershipFactory(user=receptionist, clinic=world.clinic, role="receptionist")
        for index in range(count):
            book(world, PatientFactory(), index)
    client.force_login(receptionist)

    with CaptureQueriesContext(connection) as few:
        single = client.get(URL, params(one, first=0, last=9))
    with django_assert_max_num_queries(len(few)):
        many = client.get(URL, params(ten, first=0, last=9))

    assert "1 appointment affected" in single.text
    assert "10 appointments affected" in many.text
    assert many.text.count('value="move-') == 10  # ten different proposed times
    assert len(few) <= 20


# --- Apply --------------------------------------------------------------------------------------


def test_applying_moves_and_cancels_then_shows_the_result(
    client, world, patient, other_patient, receptionist
):
    moving = book(world, patient, 1)
    cancelling = book(world, other_patient, 2)
    client.force_login(receptionist)
    data = params(world) | {
        f"decision-{moving.pk}": f"move-{world.slots[4].pk}",
        f"decision-{cancelling.pk}": "cancel",
    }

    response = client.post(URL, data)

    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "The block is in place" in page.text
    assert "Cancelled" in page.text
    assert "Moved" in page.text
    assert "4</strong> slots blocked" in page.text
    moving.refresh_from_db()
    cancelling.refresh_from_db()
    assert moving.slot_id == world.slots[4].pk
    assert cancelling.status == BookingStatus.CANCELLED
    assert cancelling.cancellation_reason == "Doctor ill"
    assert AuditEntry.objects.filter(action="bookings.emergency_block").count() == 1


def test_a_double_submit_changes_nothing_the_second_time(client, world, patient, receptionist):
    booking = book(world, patient, 1)
    client.force_login(receptionist)
    data = params(world) | {f"decision-{booking.pk}": "cancel"}

    client.post(URL, data)
    entries = AuditEntry.objects.count()
    second = client.post(URL, data, headers={"HX-Request": "true"})

    assert second.status_code == 200
    assert "Nothing left to do" in second.text
    assert "1 appointment had already been handled." in second.text
    assert AuditEntry.objects.count() == entries
    assert Booking.objects.get(pk=booking.pk).events.filter(kind="cancelled").count() == 1


def test_a_taken_time_is_reported_with_a_way_to_decide_again(
    client, world, patient, other_patient, receptionist
):
    booking = book(world, patient, 1)
    book(world, other_patient, 4)
    client.force_login(receptionist)

    response = client.post(
        URL,
        params(world) | {f"decision-{booking.pk}": f"move-{world.slots[4].pk}"},
        headers={"HX-Request": "true"},
    )

    assert "Not moved" in response.text
    assert "It stays in the blocked time." in response.text
    assert "Decide about the rest" in response.text
    again = client.get(response.context["result"]["again_url"])
    assert f'value="move-{world.slots[5].pk}" checked' in again.text
