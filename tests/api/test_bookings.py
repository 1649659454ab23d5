import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create, api_token_revoke
from apps.api.models import IdempotencyRecord
from apps.bookings.models import Booking, BookingStatus
from apps.payments.models import PromoCode
from tests.accounts.factories import PatientFactory
from tests.api.conftest import assert_problem, client_for
from tests.portal.conftest import verify

pytestmark = pytest.mark.django_db
URL = "/api/v1/bookings/"


def book(client, world, slot=None, **extra):
    body = {"slot": (slot or world.slots[0]).pk, "service": world.service.pk, **extra}
    return client.post(URL, body, format="json")


# --- Create --------------------------------------------------------------------------------------


def test_booking_a_free_slot_answers_201_with_the_timeline(patient_api, world, patient):
    response = book(patient_api, world, notes="Sore throat")

    assert response.status_code == 201
    body = response.json()
    booking = Booking.objects.get(patient=patient)
    assert body["reference"] == booking.reference
    assert body["status"] == "confirmed"
    assert body["notes"] == "Sore throat"
    assert body["price"]["amount_minor"] == 4500
    assert [e["kind"] for e in body["timeline"]] == ["requested", "confirmed"]
    assert body["timezone"] == "Europe/Berlin"


def test_a_taken_slot_answers_409_naming_the_slot(patient_api, other_api, world):
    book(other_api, world)

    body = assert_problem(book(patient_api, world), 409, "slot-unavailable")
    assert body["slot_id"] == world.slots[0].pk
    assert Booking.objects.count() == 1


def test_a_past_slot_answers_422(patient_api, world):
    world.clinic.min_notice_minutes = 60 * 24 * 30
    world.clinic.save()

    assert_problem(book(patient_api, world), 422, "slot-too-soon")
    assert not Booking.objects.exists()


def test_an_unverified_email_cannot_book(world):
    client = client_for(PatientFactory())

    assert_problem(book(client, world), 403, "email-not-verified")
    assert not Booking.objects.exists()


def test_anonymous_requests_answer_401_with_a_challenge(anon, world):
    response = book(anon, world)

    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slot": "abc"}, "slot"),
        ({"slot": 2**70}, "slot"),
        ({"slot": -3}, "slot"),
        ({"slot": None}, "slot"),
        ({"service": []}, "service"),
        ({"notes": "x" * 1001}, "notes"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_fields_are_400_with_field_details_and_write_nothing(patient_api, world, body, field):
    payload = {"slot": world.slots[0].pk, "service": world.service.pk, **body}

    problem = assert_problem(patient_api.post(URL, payload, format="json"), 400, "invalid-request")
    assert field in problem["errors"]
    assert not Booking.objects.exists()


def test_malformed_json_is_a_400_problem(patient_api, world):
    response = patient_api.post(URL, "{not json", content_type="application/json")

    assert_problem(response, 400, "malformed-json")


def test_a_json_array_is_a_400_problem(patient_api, world):
    response = patient_api.post(URL, "[1, 2]", content_type="application/json")

    assert_problem(response, 400, "invalid-request")


def test_form_data_is_an_unsupported_media_type(patient_api, world):
    response = patient_api.post(URL, {"slot": world.slots[0].pk}, format="multipart")

    assert_problem(response, 415, "unsupported-media-type")


def test_an_oversized_body_is_refused_before_parsing(patient_api, world, settings):
    settings.API_MAX_BODY_BYTES = 100
    body = json.dumps({"slot": world.slots[0].pk, "service": world.service.pk, "notes": "x" * 200})

    response = patient_api.post(URL, body, content_type="application/json")

    assert_problem(response, 413, "payload-too-large")
    assert not Booking.objects.exists()


def test_asking_for_xml_is_not_acceptable(patient_api, world):
    response = patient_api.get(URL, HTTP_ACCEPT="application/xml")

    assert response.status_code == 406
    assert response["Content-Type"] == "application/problem+json"


# --- Read: only one's own -----------------------------------------------------------------------


def test_patients_list_and_read_only_their_own_bookings(patient_api, other_api, world):
    mine = book(patient_api, world).json()["reference"]
    theirs = book(other_api, world, slot=world.slots[3]).json()["reference"]

    listed = [b["reference"] for b in patient_api.get(URL).json()["results"]]

    assert listed == [mine]
    assert patient_api.get(f"{URL}{mine}/").status_code == 200
    assert_problem(patient_api.get(f"{URL}{theirs}/"), 404, "not-found")
    assert_problem(patient_api.get(f"{URL}ZZZZ-ZZZZ/"), 404)


@pytest.mark.parametrize("action", ["cancel", "reschedule"])
def test_another_patients_booking_cannot_be_changed(patient_api, other_api, world, action):
    theirs = book(other_api, world).json()["reference"]

    response = patient_api.post(
        f"{URL}{theirs}/{action}/", {"slot": world.slots[5].pk}, format="json"
    )

    assert_problem(response, 404)
    booking = Booking.objects.get(reference=theirs)
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.slot == world.slots[0]


def test_the_list_filters_by_status_and_costs_few_queries(
    patient_api, world, django_assert_max_num_queries
):
    for slot in world.slots[:6]:
        book(patient_api, world, slot=slot)
    first = patient_api.get(URL, {"ordering": "starts_at"}).json()["results"][0]["reference"]
    patient_api.post(f"{URL}{first}/cancel/", {}, format="json")

    with django_assert_max_num_queries(8):
        response = patient_api.get(URL, {"status": "confirmed"})

    assert response.json()["count"] == 5


# --- Cancel and reschedule ----------------------------------------------------------------------


def test_cancel_frees_the_time_and_records_the_policy(patient_api, world):
    reference = book(patient_api, world).json()["reference"]

    response = patient_api.post(f"{URL}{reference}/cancel/", {"reason": "Better"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["timeline"][-1]["kind"] == "cancelled"
    assert body["timeline"][-1]["data"]["refund_percent"] == 100


def test_cancelling_twice_answers_409(patient_api, world):
    reference = book(patient_api, world).json()["reference"]
    patient_api.post(f"{URL}{reference}/cancel/", {}, format="json")

    assert_problem(
        patient_api.post(f"{URL}{reference}/cancel/", {}, format="json"),
        409,
        "booking-not-cancellable",
    )


def test_reschedule_moves_the_booking(patient_api, world):
    reference = book(patient_api, world).json()["reference"]

    response = patient_api.post(
        f"{URL}{reference}/reschedule/", {"slot": world.slots[4].pk}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["slot"] == world.slots[4].pk
    assert response.json()["timeline"][-1]["kind"] == "rescheduled"


def test_reschedule_into_a_taken_slot_keeps_the_old_time(patient_api, other_api, world):
    reference = book(patient_api, world).json()["reference"]
    book(other_api, world, slot=world.slots[4])

    body = assert_problem(
        patient_api.post(
            f"{URL}{reference}/reschedule/", {"slot": world.slots[4].pk}, format="json"
        ),
        409,
        "slot-unavailable",
    )
    assert body["slot_id"] == world.slots[4].pk
    assert Booking.objects.get(reference=reference).slot == world.slots[0]


def test_reschedule_to_another_doctor_answers_422(patient_api, world, other_world):
    reference = book(patient_api, world).json()["reference"]

    assert_problem(
        patient_api.post(
            f"{URL}{reference}/reschedule/", {"slot": other_world.slots[2].pk}, format="json"
        ),
        422,
        "reschedule-other-doctor",
    )


# --- Idempotency ---------------------------------------------------------------------------------


def test_the_same_key_and_body_replay_the_first_answer(patient_api, world, patient):
    answers = [
        patient_api.post(
            URL,
            {"slot": world.slots[0].pk, "service": world.service.pk},
            format="json",
            HTTP_IDEMPOTENCY_KEY="booking-1",
        )
        for _ in range(3)
    ]

    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.json()["reference"] for a in answers}) == 1
    assert "Idempotent-Replayed" not in answers[0]
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert Booking.objects.filter(patient=patient).count() == 1


def test_the_same_key_with_another_body_answers_422(patient_api, world):
    first = {"slot": world.slots[0].pk, "service": world.service.pk}
    patient_api.post(URL, first, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    other = {"slot": world.slots[1].pk, "service": world.service.pk}
    response = patient_api.post(URL, other, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert_problem(response, 422, "idempotency-key-reused")
    assert Booking.objects.count() == 1


def test_a_failed_attempt_is_replayed_too(patient_api, other_api, world):
    book(other_api, world)
    body = {"slot": world.slots[0].pk, "service": world.service.pk}

    first = patient_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    Booking.objects.all().delete()  # the slot is free now, but the key remembers the answer
    second = patient_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-3")

    assert first.status_code == second.status_code == 409
    assert second["Idempotent-Replayed"] == "true"
    assert second["Content-Type"] == "application/problem+json"


def test_keys_belong_to_one_user(patient_api, other_api, world):
    body = {"service": world.service.pk}
    patient_api.post(
        URL, {**body, "slot": world.slots[0].pk}, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )

    response = other_api.post(
        URL, {**body, "slot": world.slots[1].pk}, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )

    assert response.status_code == 201
    assert IdempotencyRecord.objects.filter(key="same").count() == 2


def test_an_invalid_key_is_a_400_problem(patient_api, world):
    response = patient_api.post(
        URL,
        {"slot": world.slots[0].pk, "service": world.service.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="has spaces in it",
    )

    assert_problem(response, 400, "idempotency-key-invalid")
    assert not Booking.objects.exists()


def test_cancel_honours_the_key_too(patient_api, world):
    reference = book(patient_api, world).json()["reference"]
    url = f"{URL}{reference}/cancel/"

    first = patient_api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="cancel-1")
    again = patient_api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="cancel-1")

    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"


def test_a_revoked_token_stops_working(world, patient):
    token, secret = api_token_create(user=patient, name="x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get(URL).status_code == 200

    api_token_revoke(token=token, actor=patient)

    assert_problem(client.get(URL), 401, "authentication-failed")


def test_session_requests_need_csrf(world, patient):
    verify(patient)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(patient)

    assert client.get(URL).status_code == 200
    response = book(client, world)
    assert_problem(response, 403, "permission-denied")
    assert not Booking.objects.exists()


# --- Prices and payment --------------------------------------------------------------------------


def test_a_prepaid_clinic_holds_the_booking_and_points_to_checkout(patient_api, world):
    world.clinic.requires_prepayment = True
    world.clinic.save()

    response = book(patient_api, world)

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "held"
    assert body["payment"]["status"] == "pending"
    assert body["payment"]["amount"] == {
        "amount_minor": 4500,
        "currency": "EUR",
        "formatted": "€45.00",
    }
    assert body["payment"]["checkout_url"] == f"/payments/checkout/{body['reference']}/"
    assert body["hold_expires_at"] is not None


def test_a_promo_code_lowers_the_price_in_the_breakdown(patient_api, world):
    now = timezone.now()
    PromoCode.objects.create(
        code="SAVE5",
        kind="fixed",
        amount_minor=500,
        currency=world.clinic.currency,
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=1),
    )

    body = book(patient_api, world, promo_code="save5").json()

    breakdown = body["price_breakdown"]
    assert breakdown["base"]["amount_minor"] == 4500
    assert breakdown["promo"]["amount_minor"] == 500
    assert breakdown["total"]["amount_minor"] == 4000
    assert body["price"]["amount_minor"] == 4000


def test_an_unknown_promo_code_is_a_422_and_books_nothing(patient_api, world):
    body = assert_problem(book(patient_api, world, promo_code="NOPE"), 422, "promo-code-invalid")

    assert "does not exist" in body["detail"]
    assert not Booking.objects.exists()
