"""The delivery log in the back office: platform admins only, read-only, resend through the
service."""

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from apps.accounts.models import PatientProfile
from apps.accounts.roles import ROLE_PERMISSIONS
from apps.notifications.models import (
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationPreference,
    Reminder,
)
from apps.outbox.models import OutboxEvent
from tests.clinics.admin_helpers import change_url, changelist_url


def delivery(patient, status=DeliveryStatus.FAILED, channel="email", key="e1") -> Delivery:
    event = OutboxEvent.objects.create(kind="booking.confirmed", dedupe_key=key, payload={})
    return Delivery.objects.create(
        event=event,
        channel=channel,
        recipient=patient,
        address=patient.email,
        status=status,
        error="SMTP down" if status == DeliveryStatus.FAILED else "",
        claimed_at=timezone.now(),
    )


@pytest.fixture
def admin_client(client, platform_admin):
    client.force_login(platform_admin)
    return client


@pytest.mark.parametrize("model", [Delivery, Notification, NotificationPreference, Reminder])
def test_platform_admins_see_each_list(admin_client, model, patient):
    assert admin_client.get(changelist_url(model)).status_code == 200


@pytest.mark.parametrize("model", [Delivery, Notification, NotificationPreference, Reminder])
def test_clinic_staff_do_not(client, receptionist, clinic_manager, model):
    for person in (receptionist, clinic_manager):
        client.force_login(person)
        assert client.get(changelist_url(model)).status_code == 403


def test_no_clinic_role_holds_a_notifications_permission():
    for permissions in ROLE_PERMISSIONS.values():
        assert not [p for p in permissions if p.startswith("notifications.")]


def test_the_delivery_list_filters_and_searches(admin_client, patient, other_patient):
    failed = delivery(patient)
    sent = delivery(other_patient, DeliveryStatus.SENT, key="e2")

    by_status = admin_client.get(changelist_url(Delivery), {"status__exact": "failed"})
    by_email = admin_client.get(changelist_url(Delivery), {"q": other_patient.email})

    assert [d.pk for d in by_status.context["cl"].result_list] == [failed.pk]
    assert [d.pk for d in by_email.context["cl"].result_list] == [sent.pk]
    assert "booking.confirmed" in by_status.content.decode()


def test_deliveries_are_read_only(admin_client, patient):
    row = delivery(patient)

    response = admin_client.post(change_url(row), {"status": "sent"})

    assert response.status_code == 403
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED


def test_resend_goes_through_the_service_for_failed_and_unknown_only(
    admin_client, patient, monkeypatch
):
    failed = delivery(patient)
    unknown = delivery(patient, DeliveryStatus.UNKNOWN, key="e2")
    sent = delivery(patient, DeliveryStatus.SENT, key="e3")
    resent = []
    monkeypatch.setattr(
        "apps.notifications.services.delivery_resend",
        lambda *, delivery, actor: resent.append((delivery.pk, actor.email)) or 1,
    )

    response = admin_client.post(
        changelist_url(Delivery),
        {"action": "resend", "_selected_action": [failed.pk, unknown.pk, sent.pk]},
    )

    assert response.status_code == 302
    assert sorted(pk for pk, _actor in resent) == sorted([failed.pk, unknown.pk])
    assert {who for _pk, who in resent} == {response.wsgi_request.user.email}
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert "2 messages sent again." in texts
    assert any("1 delivery skipped" in t for t in texts)


def test_a_resend_that_fails_again_is_reported(admin_client, patient, monkeypatch):
    from apps.notifications import services

    failed = delivery(patient)

    def still_down(*, delivery, actor):
        raise services.TransientDeliveryError("SMTP down")

    monkeypatch.setattr("apps.notifications.services.delivery_resend", still_down)

    response = admin_client.post(
        changelist_url(Delivery), {"action": "resend", "_selected_action": [failed.pk]}
    )

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("failed: SMTP down" in t for t in texts)


def test_an_admin_changes_a_persons_channels_through_the_service(admin_client, patient):
    preference = NotificationPreference.objects.create(user=patient)

    refused = admin_client.post(change_url(preference), {"email": "on", "sms": "on"})
    PatientProfile.objects.filter(user=patient).update(phone="+49 30 1234 5678")
    saved = admin_client.post(change_url(preference), {"sms": "on"})

    assert refused.status_code == 200  # the form again, with the error
    assert "Add a phone number" in refused.content.decode()
    assert saved.status_code == 302
    preference.refresh_from_db()
    assert (preference.email, preference.sms) == (False, True)


def test_a_resend_is_on_the_record_with_the_admin_who_asked(admin_client, platform_admin, patient):
    from apps.audit.models import AuditEntry

    failed = delivery(patient)

    admin_client.post(
        changelist_url(Delivery), {"action": "resend", "_selected_action": [failed.pk]}
    )

    entry = AuditEntry.objects.for_target(failed).get(action="delivery.resend")
    assert entry.actor == platform_admin
