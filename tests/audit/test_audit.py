import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from apps.audit import context
from apps.audit.models import AppendOnlyError, AuditEntry
from apps.audit.services import audit_record, diff
from apps.bookings import services
from tests.accounts.factories import UserFactory
from tests.conftest import on_visit_day
from tests.portal.conftest import verify

pytestmark = pytest.mark.django_db


def test_audit_record_names_the_actor_and_the_target():
    user = UserFactory(email="actor@example.test")
    target = UserFactory()

    entry = audit_record(actor=user, action="user.touch", target=target, changes={"a": [1, 2]})

    assert (entry.actor, entry.actor_label) == (user, "actor@example.test")
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(target.pk))
    assert entry.changes == {"a": [1, 2]}


def test_audit_record_of_a_job_names_the_job():
    with context.system_job("nightly_cleanup"):
        entry = audit_record(actor=None, action="cleanup.run")

    assert entry.actor is None
    assert entry.actor_label == "job:nightly_cleanup"
    assert len(entry.request_id) == 32


def test_audit_entries_cannot_be_changed_or_deleted_through_the_orm():
    entry = audit_record(actor=None, action="x")
    entry.action = "rewritten"

    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "x"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigger")
def test_audit_entries_cannot_be_changed_even_with_raw_sql():
    entry = audit_record(actor=None, action="x")

    for statement in (
        "UPDATE audit_auditentry SET action = 'y' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "x"


def test_requests_carry_their_id_ip_and_user_agent_into_the_audit_log(
    client, world, patient, platform_admin
):
    booking = services.booking_create(
        patient=patient, slot_id=world.slots[0].pk, service_id=world.service.pk
    )
    client.force_login(platform_admin)

    with on_visit_day(booking):
        response = client.post(
            reverse("admin:bookings_booking_changelist"),
            {"action": "check_in", "_selected_action": [booking.pk]},
            headers={"X-Request-ID": "req-1234abcd", "User-Agent": "pytest-browser"},
            REMOTE_ADDR="203.0.113.9",
        )

    assert response.status_code == 302
    assert response["X-Request-ID"] == "req-1234abcd"
    entry = AuditEntry.objects.for_target(booking).get(action="booking.checked_in")
    assert (entry.request_id, entry.ip, entry.user_agent) == (
        "req-1234abcd",
        "203.0.113.9",
        "pytest-browser",
    )
    assert entry.actor == platform_admin


def test_a_forged_request_id_is_replaced(client):
    response = client.get("/", headers={"X-Request-ID": "bad id\nwith newline"})
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


def test_diff_lists_only_changed_fields():
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}


# --- Sign-ins and denials ------------------------------------------------------------------------


def test_sign_ins_failed_sign_ins_and_sign_outs_are_recorded(client, patient):
    patient.set_password("right-password-123")
    patient.save()
    verify(patient)

    client.post(
        reverse("account_login"), {"login": patient.email, "password": "wrong-password-123"}
    )
    client.post(
        reverse("account_login"), {"login": patient.email, "password": "right-password-123"}
    )
    client.post(reverse("account_logout"))

    entries = list(AuditEntry.objects.filter(action__startswith="auth.").order_by("id"))
    assert [e.action for e in entries] == ["auth.login_failed", "auth.login", "auth.logout"]
    failed = entries[0]
    assert failed.actor_label == "anonymous"
    assert failed.changes == {"email": [None, patient.email]}
    assert "wrong-password" not in str(failed.changes)
    assert entries[1].actor_label == patient.email


def test_permission_denials_are_recorded_for_the_back_office_and_the_api(
    client, patient, receptionist
):
    client.force_login(receptionist)
    back_office = client.get(reverse("admin:payments_discountpolicy_changelist"))
    client.force_login(patient)
    api = client.get("/api/v1/staff/bookings/")

    assert (back_office.status_code, api.status_code) == (403, 403)
    denials = AuditEntry.objects.filter(action="auth.permission_denied").order_by("id")
    assert [(e.actor_label, e.changes["path"][1]) for e in denials] == [
        (receptionist.email, reverse("admin:payments_discountpolicy_changelist")),
        (patient.email, "/api/v1/staff/bookings/"),
    ]
