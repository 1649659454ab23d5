"""Races over real HTTP: gunicorn with several worker processes on PostgreSQL.

Every client opens its connection first and waits at a barrier, so the requests leave
together and the workers really do handle them at the same time. The data is committed
(transactional test) so the server processes see it.
"""

import http.client
import json
import threading
from dataclasses import dataclass

import pytest
from django.db import connection

from apps.accounts.services import api_token_create
from apps.bookings.models import Booking, BookingStatus
from tests.accounts.factories import PatientFactory
from tests.conftest import build_world
from tests.portal.conftest import verify
from tests.processes import clean_env, free_port, http_status, start, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CLIENTS = 30


@dataclass
class Answer:
    status: int
    content_type: str
    body: dict


@pytest.fixture
def gunicorn(transactional_db, tmp_path, settings):
    """``gunicorn clinix.wsgi`` (3 processes x 4 threads) on this test's database."""
    db = connection.settings_dict
    port = free_port()
    env = clean_env(
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/"
        f"{db['NAME']}",
        DEBUG="false",
        SECRET_KEY="http-race-test-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        API_THROTTLE_IP="100000/min",
        # This test's own throttle counters (ids repeat from one run to the next).
        CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
    )
    server = start(
        [
            "-m",
            "gunicorn",
            "clinix.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--timeout",
            "60",
        ],
        env=env,
        log=tmp_path / "gunicorn.log",
    )
    try:
        wait_for(
            lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200,
            timeout=60,
            what="gunicorn",
            process=server,
        )
        yield port
    finally:
        server.stop()
        connection.close()


def race(port: int, requests: list[tuple[str, str, dict, dict]]) -> list[Answer]:
    """Send each (method, path, headers, body) on its own connection, all at once."""
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in requests]
    for conn in connections:
        conn.connect()
    barrier = threading.Barrier(len(requests))
    answers: list[Answer | BaseException] = [None] * len(requests)

    def send(index: int) -> None:
        method, path, headers, body = requests[index]
        conn = connections[index]
        try:
            barrier.wait(timeout=30)
            conn.request(
                method,
                path,
                body=json.dumps(body),
                headers={"Content-Type": "application/json", **headers},
            )
            response = conn.getresponse()
            raw = response.read()
            answers[index] = Answer(
                status=response.status,
                content_type=response.getheader("Content-Type", ""),
                body=json.loads(raw) if raw else {},
            )
        except BaseException as error:  # noqa: BLE001 - reported below, with the others
            answers[index] = error
        finally:
            conn.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    failures = [a for a in answers if not isinstance(a, Answer)]
    assert not failures, failures
    return answers


def test_thirty_clients_racing_for_one_slot_get_one_booking_and_29_conflicts(gunicorn):
    world = build_world(slot_count=1)
    slot = world.slots[0]
    secrets = []
    for _ in range(CLIENTS):
        _token, secret = api_token_create(user=verify(PatientFactory()), name="race")
        secrets.append(secret)
    body = {"slot": slot.pk, "service": world.service.pk}

    answers = race(
        gunicorn,
        [("POST", "/api/v1/bookings/", {"Authorization": f"Token {s}"}, body) for s in secrets],
    )

    statuses = sorted(a.status for a in answers)
    assert statuses == [201] + [409] * (CLIENTS - 1), statuses
    for answer in answers:
        if answer.status == 409:
            assert answer.content_type == "application/problem+json"
            assert answer.body["type"] == "/api/problems/slot-unavailable"
            assert answer.body["title"] == "Slot unavailable"
            assert answer.body["slot_id"] == slot.pk
    winner = next(a for a in answers if a.status == 201)
    booking = Booking.objects.get()
    assert booking.reference == winner.body["reference"]
    assert booking.slot_id == slot.pk


def test_one_idempotency_key_sent_ten_times_at_once_books_once(gunicorn):
    world = build_world(slot_count=1)
    patient = verify(PatientFactory())
    _token, secret = api_token_create(user=patient, name="retrying app")
    headers = {"Authorization": f"Token {secret}", "Idempotency-Key": "tap-tap-tap"}
    body = {"slot": world.slots[0].pk, "service": world.service.pk}

    answers = race(gunicorn, [("POST", "/api/v1/bookings/", headers, body)] * 10)

    assert [a.status for a in answers] == [201] * 10, [(a.status, a.body) for a in answers]
    assert len({a.body["reference"] for a in answers}) == 1
    booking = Booking.objects.get()
    assert booking.patient_id == patient.pk
    assert booking.status == BookingStatus.CONFIRMED
