"""Each kind of action leaves its entry in the audit log: patients on the web, API clients,
staff in the back office, and background jobs (refunds, expiries, reminders), with who,
what, which object, the changed values and where the request came from."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.bookings.models import Booking
from apps.core.money import Money
from apps.notifications import tasks as notification_tasks
from apps.payments import services as payment_services
from apps.payments import tasks as payment_tasks
from tests.api.conftest import client_for
from tests.payments.factories import book, make_prepaid, no_discounts, pay
from tests.portal.conftest import verify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _list_prices():
    no_discounts()


def entries(action: str, target=None):
    found = AuditEntry.objects.filter(action=action)
    return found.for_target(target) if target is not None else found


def test_a_patient_booking_on_the_web_is_recorded_with_ip_and_user_agent(client, world, patient):
    client.force_login(verify(patient))

    response = client.post(
        reverse("portal:book"),
        {"slot": world.slots[0].pk, "service": world.service.pk, "token": uuid.uuid4()},
        headers={"User-Agent": "Firefox/140"},
        REMOTE_ADDR="198.51.100.4",
    )

    assert response.status_code == 302
    booking = Booking.objects.get(patient=patient)
    entry = entries("booking.create", booking).get()
    assert (entry.actor, entry.ip, entry.user_agent) == (patient, "198.51.100.4", "Firefox/140")
    assert entry.request_id


def test_an_api_write_is_recorded_with_the_request_id(world, patient):
    api = client_for(verify(patient))

    response = api.post(
        "/api/v1/bookings/",
        {"slot": world.slots[0].pk, "service": world.service.pk},
        format="json",
        HTTP_X_REQUEST_ID="api-req-0001",
    )

    assert response.status_code == 201, response.content
    booking = Booking.objects.get(reference=response.json()["reference"])
    entry = entries("booking.create", booking).get()
    assert (entry.actor, entry.request_id) == (patient, "api-req-0001")


def test_a_back_office_edit_is_recorded_with_before_and_after(client, world, platform_admin):
    client.force_login(platform_admin)
    service = world.service
    url = reverse("admin:clinics_serviceoffering_change", args=[service.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["price_minor"] = 6000

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = entries("clinics.serviceoffering.update", service).get()
    assert entry.changes["price_minor"] == [4500, 6000]
    assert entry.actor == platform_admin


def test_an_expired_hold_is_recorded_as_done_by_the_expiry_job(world, patient):
    prepaid = make_prepaid(world)
    booking = book(prepaid, patient)

    with time_machine.travel(booking.hold_expires_at + timedelta(seconds=1)):
        assert payment_tasks.holds_expire() == 1

    entry = entries("booking.expired", booking).get()
    assert entry.actor is None
    assert entry.actor_label == "job:holds_expire"
    assert entry.changes == {"status": ["held", "expired"]}


def test_a_refund_is_recorded_when_requested_and_when_the_job_executes_it(world, patient):
    booking = book(make_prepaid(world), patient)
    pay(booking)
    payment = Booking.objects.get(pk=booking.pk).payment

    refund = payment_services.refund_request(
        payment=payment, amount=Money(1000, "EUR"), reason="goodwill"
    )
    payment_tasks.refund_execute(refund.pk)  # as the worker runs it, with its job name

    assert entries("refund.request", refund).count() == 1
    executed = entries("refund.status", refund).get()
    assert executed.actor_label == "job:refund_execute"
    assert executed.changes["status"][1] == "succeeded"


def test_a_reminder_sent_is_recorded_as_done_by_the_reminder_job(world, patient):
    booking = book(world, verify(patient))

    with time_machine.travel(booking.starts_at - timedelta(hours=23)):
        assert notification_tasks.reminders_plan() == 1

    entry = entries("booking.reminded", booking).get()
    assert entry.actor_label == "job:reminders_plan"
    assert entry.changes == {"offset_minutes": [None, 1440]}
