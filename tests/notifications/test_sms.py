"""The Twilio adapter against a local fake of Twilio's Messages API, and a text message
delivered (or failed) through ``services.deliver_once``."""

import base64
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from apps.accounts.models import PatientProfile
from apps.notifications import services
from apps.notifications.messages import Message
from apps.notifications.models import Channel, Delivery, DeliveryStatus, NotificationPreference
from apps.notifications.sms import SmsError, TwilioSmsBackend, sms_backend
from apps.outbox.models import OutboxEvent

SID = "AC0123456789abcdef"
TOKEN = "secret-token"  # noqa: S105 - a fake server's credential
FROM = "+15005550006"


@dataclass
class FakeTwilio:
    """Answers every POST with the next configured (status, body); records each request."""

    url: str
    requests: list[dict] = field(default_factory=list)
    answers: list[tuple[int, dict]] = field(default_factory=list)

    def answer(self, status: int, body: dict | None = None) -> None:
        self.answers.append((status, body or {}))


@pytest.fixture
def twilio(settings) -> Iterator[FakeTwilio]:
    fake = FakeTwilio(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", 0))
            fake.requests.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("Authorization", ""),
                    "content_type": self.headers.get("Content-Type", ""),
                    "form": parse_qs(self.rfile.read(length).decode()),
                }
            )
            status, body = fake.answers.pop(0) if fake.answers else (201, {"sid": "SM123"})
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.SMS_BACKEND = "twilio"
    settings.SMS_API_URL = fake.url
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SMS_FROM = FROM
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_twilio_backend_is_chosen_by_the_setting(twilio):
    assert isinstance(sms_backend(), TwilioSmsBackend)


def test_a_text_message_is_posted_as_twilio_expects(twilio):
    twilio.answer(201, {"sid": "SM123", "status": "queued"})

    sid = sms_backend().send(to="+4930123456", body="Your appointment is confirmed")

    assert sid == "SM123"
    [request] = twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request["authorization"] == f"Basic {expected}"
    assert request["content_type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {
        "To": ["+4930123456"],
        "From": [FROM],
        "Body": ["Your appointment is confirmed"],
    }


def test_a_refused_message_is_a_permanent_error(twilio):
    twilio.answer(400, {"code": 21211, "message": "The 'To' number is not a valid phone number."})

    with pytest.raises(SmsError) as error:
        sms_backend().send(to="not a number", body="Hello")

    assert error.value.transient is False
    assert "400" in str(error.value)
    assert "21211" in str(error.value)


def test_a_busy_provider_is_a_transient_error(twilio):
    twilio.answer(503, {"message": "Service Unavailable"})

    with pytest.raises(SmsError) as error:
        sms_backend().send(to="+4930123456", body="Hello")

    assert error.value.transient is True


def test_an_unreachable_provider_is_a_transient_error(twilio, settings):
    settings.SMS_API_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    with pytest.raises(SmsError) as error:
        sms_backend().send(to="+4930123456", body="Hello")

    assert error.value.transient is True
    assert twilio.requests == []


# --- Through the delivery service ---------------------------------------------------------------


@pytest.fixture
def texting_patient(patient):
    PatientProfile.objects.filter(user=patient).update(phone="+49 30 1234 5678")
    NotificationPreference.objects.create(user=patient, email=False, sms=True)
    patient.refresh_from_db()
    return patient


def event_and_message(patient) -> tuple[OutboxEvent, Message]:
    event = OutboxEvent.objects.create(
        kind="booking.confirmed", dedupe_key="booking.confirmed:test", payload={}
    )
    message = Message(
        recipient=patient,
        title="Your appointment is confirmed",
        lines=["Tue 3 Mar, 09:30 Berlin time at Clinic Mitte"],
    )
    return event, message


def test_the_channels_of_a_patient_who_wants_texts_include_sms(texting_patient):
    assert Channel.SMS in services.channels_for(texting_patient)


def test_a_text_message_delivery_is_sent_once_and_marked_sent(twilio, texting_patient):
    event, message = event_and_message(texting_patient)

    assert services.deliver_once(event, Channel.SMS, message) == 1
    assert services.deliver_once(event, Channel.SMS, message) == 0  # already done

    delivery = Delivery.objects.get(event=event, channel=Channel.SMS)
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.address == "+49 30 1234 5678"
    assert delivery.sent_at is not None
    [request] = twilio.requests
    assert request["form"]["To"] == ["+49 30 1234 5678"]
    assert request["form"]["Body"] == [
        "Your appointment is confirmed. Tue 3 Mar, 09:30 Berlin time at Clinic Mitte"
    ]


def test_a_busy_provider_marks_the_delivery_failed_for_a_retry(twilio, texting_patient):
    event, message = event_and_message(texting_patient)
    twilio.answer(503)

    with pytest.raises(services.TransientDeliveryError):
        services.deliver_once(event, Channel.SMS, message)

    delivery = Delivery.objects.get(event=event, channel=Channel.SMS)
    assert delivery.status == DeliveryStatus.FAILED
    assert "503" in delivery.error
    assert delivery.sent_at is None

    # The retry claims the failed row again and sends.
    assert services.deliver_once(event, Channel.SMS, message) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert len(twilio.requests) == 2


def test_a_refused_text_message_is_failed_without_a_retry(twilio, texting_patient):
    event, message = event_and_message(texting_patient)
    twilio.answer(400, {"message": "invalid number"})

    assert services.deliver_once(event, Channel.SMS, message) == 0

    delivery = Delivery.objects.get(event=event, channel=Channel.SMS)
    assert delivery.status == DeliveryStatus.FAILED
    assert "invalid number" in delivery.error
