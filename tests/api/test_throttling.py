"""Request limits: per user, per client address, and a stricter one for booking writes.

Rates come from settings.API_THROTTLE_RATES on every request, so each test sets small ones;
the counters live in Redis under this test's own key prefix (tests/conftest.py).
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.bookings.models import Booking
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
CLINICS = "/api/v1/clinics/"
BOOKINGS = "/api/v1/bookings/"
GENEROUS = "1000/min"


@pytest.fixture
def rates(settings):
    """Set some limits; the others stay generous so only the one under test can bite."""

    def set_rates(**scopes: str) -> None:
        settings.API_THROTTLE_RATES = {
            "user": GENEROUS,
            "ip": GENEROUS,
            "booking-writes": GENEROUS,
            **{name.replace("_", "-"): rate for name, rate in scopes.items()},
        }

    return set_rates


def assert_throttled(response) -> int:
    """429 problem JSON that says, in the header and the body, when to come back."""
    body = assert_problem(response, 429, "throttled")
    assert isinstance(body["retry_after"], int)
    assert 1 <= body["retry_after"] <= 60
    assert response["Retry-After"] == str(body["retry_after"])
    return body["retry_after"]


def book(client, world, slot):
    return client.post(BOOKINGS, {"slot": slot.pk, "service": world.service.pk}, format="json")


# --- Per user ------------------------------------------------------------------------------------


def test_a_user_over_their_limit_gets_429_with_retry_after(rates, patient_api):
    rates(user="3/min")
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            assert patient_api.get(ME).status_code == 200

        response = patient_api.get(ME)

    assert assert_throttled(response) == 60


def test_the_user_limit_counts_every_endpoint_together(rates, patient_api, world):
    rates(user="3/min")
    patient_api.get(ME)
    patient_api.get(CLINICS)
    patient_api.get(BOOKINGS)

    assert_throttled(patient_api.get(CLINICS))


def test_one_users_limit_does_not_touch_another_user(rates, patient_api, other_api):
    rates(user="2/min")
    patient_api.get(ME)
    patient_api.get(ME)
    assert_throttled(patient_api.get(ME))

    assert other_api.get(ME).status_code == 200
    assert other_api.get(ME).status_code == 200


def test_the_limit_lifts_when_the_window_has_passed(rates, patient_api):
    rates(user="2/min")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        patient_api.get(ME)
        patient_api.get(ME)
        assert_throttled(patient_api.get(ME))

        traveller.shift(timedelta(seconds=30))
        assert assert_throttled(patient_api.get(ME)) == 30

        traveller.shift(timedelta(seconds=31))
        assert patient_api.get(ME).status_code == 200


def test_rates_are_read_on_each_request(rates, patient_api):
    rates(user="1/min")
    patient_api.get(ME)
    assert_throttled(patient_api.get(ME))

    rates(user="5/min")

    assert patient_api.get(ME).status_code == 200


# --- Per address ---------------------------------------------------------------------------------


def test_anonymous_requests_are_limited_per_address(rates, anon, world):
    rates(ip="3/min")
    for _ in range(3):
        assert anon.get(CLINICS).status_code == 200

    assert_throttled(anon.get(CLINICS))
    assert_throttled(anon.get(f"/api/v1/services/{world.service.pk}/"))


def test_another_address_has_its_own_anonymous_limit(rates, anon, world):
    rates(ip="2/min")
    anon.get(CLINICS)
    anon.get(CLINICS)
    assert_throttled(anon.get(CLINICS))

    assert anon.get(CLINICS, REMOTE_ADDR="203.0.113.7").status_code == 200


def test_a_forged_x_forwarded_for_does_not_escape_the_address_limit(rates, anon, world):
    # Without TRUST_X_FORWARDED_FOR the header is the client's word, not its address.
    rates(ip="2/min")
    anon.get(CLINICS)
    anon.get(CLINICS)

    assert_throttled(anon.get(CLINICS, HTTP_X_FORWARDED_FOR="198.51.100.1"))


def test_the_user_limit_does_not_apply_to_anonymous_requests(rates, anon, world):
    rates(user="1/min")

    assert anon.get(CLINICS).status_code == 200
    assert anon.get(CLINICS).status_code == 200


# --- Booking writes ------------------------------------------------------------------------------


def test_booking_writes_have_their_own_stricter_limit(rates, patient_api, world):
    rates(booking_writes="2/min")
    assert book(patient_api, world, world.slots[0]).status_code == 201
    assert book(patient_api, world, world.slots[1]).status_code == 201

    assert_throttled(book(patient_api, world, world.slots[2]))

    assert Booking.objects.count() == 2
    assert patient_api.get(ME).status_code == 200  # only writes are held back


def test_reading_bookings_does_not_use_up_the_write_limit(rates, patient_api, world):
    rates(booking_writes="2/min")
    for _ in range(5):
        assert patient_api.get(BOOKINGS).status_code == 200

    assert book(patient_api, world, world.slots[0]).status_code == 201
    reference = patient_api.get(BOOKINGS).json()["results"][0]["reference"]
    assert patient_api.get(f"{BOOKINGS}{reference}/").status_code == 200
    assert book(patient_api, world, world.slots[1]).status_code == 201
    assert patient_api.get(BOOKINGS).status_code == 200


def test_cancelling_counts_as_a_booking_write(rates, patient_api, world):
    rates(booking_writes="1/min")
    reference = book(patient_api, world, world.slots[0]).json()["reference"]

    assert_throttled(patient_api.post(f"{BOOKINGS}{reference}/cancel/", {}, format="json"))
    assert Booking.objects.get(reference=reference).status == "confirmed"


def test_one_patients_booking_limit_does_not_touch_another(rates, patient_api, other_api, world):
    rates(booking_writes="1/min")
    book(patient_api, world, world.slots[0])
    assert_throttled(book(patient_api, world, world.slots[1]))

    assert book(other_api, world, world.slots[1]).status_code == 201
