"""The audit log in the back office: filterable by actor, action, object and date, linked
to the objects it names, and impossible to change or delete from there."""

import pytest
from django.urls import reverse

from apps.audit import context
from apps.audit.models import AuditEntry
from apps.audit.services import audit_record
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:audit_auditentry_changelist"


@pytest.fixture
def log(world, receptionist):
    """Three entries: a person's edit of a service, a job's run, an anonymous denial."""
    service_edit = audit_record(
        actor=receptionist,
        action="clinics.serviceoffering.update",
        target=world.service,
        changes={"price_minor": [4500, 5000]},
    )
    with context.system_job("holds_expire"):
        job = audit_record(actor=None, action="booking.expired", target=world.doctor)
    with context.bound(context.ActingContext(ip="192.0.2.1")):
        denial = audit_record(actor=None, action="auth.permission_denied")
    return {"edit": service_edit, "job": job, "denial": denial}


def listed(client, **query) -> set[int]:
    response = client.get(reverse(CHANGELIST), query)
    assert response.status_code == 200
    return {entry.pk for entry in response.context["cl"].result_list}


def test_the_log_filters_by_actor_kind_action_object_and_date(client, platform_admin, log, world):
    client.force_login(platform_admin)
    edit, job, denial = log["edit"], log["job"], log["denial"]

    assert listed(client, actor="reception") == {edit.pk}
    assert listed(client, kind="job") == {job.pk}
    assert listed(client, kind="anonymous") == {denial.pk}
    people = listed(client, kind="person")  # the edit, and the admin's own sign-in
    assert edit.pk in people
    assert not people & {job.pk, denial.pk}
    assert edit.pk not in listed(client, kind="system")  # set-up without a person, e.g. roles
    assert listed(client, action="booking.expired") == {job.pk}
    assert listed(client, object=f"clinics.serviceoffering:{world.service.pk}") == {edit.pk}
    assert listed(client, object=world.service.name[:6]) == {edit.pk}
    day = edit.at
    assert edit.pk in listed(client, at__year=day.year, at__month=day.month, at__day=day.day)
    assert listed(client, at__year=day.year - 1) == set()


def test_the_filters_keep_each_other_when_combined(client, platform_admin, log):
    client.force_login(platform_admin)

    response = client.get(reverse(CHANGELIST), {"kind": "job", "actor": "holds"})

    assert {e.pk for e in response.context["cl"].result_list} == {log["job"].pk}
    # The actor box is a little form: it carries the other filter along.
    assert b'name="kind" value="job"' in response.content


def test_each_entry_links_to_the_object_it_names(client, platform_admin, log, world):
    client.force_login(platform_admin)

    response = client.get(reverse(CHANGELIST))

    link = reverse("admin:clinics_serviceoffering_change", args=[world.service.pk])
    assert f'href="{link}"'.encode() in response.content


def test_the_log_page_makes_a_bounded_number_of_queries(
    client, platform_admin, log, django_assert_max_num_queries
):
    client.force_login(platform_admin)
    for _ in range(30):
        audit_record(actor=platform_admin, action="x.y", target=UserFactory())

    with django_assert_max_num_queries(12):
        client.get(reverse(CHANGELIST))


def test_nobody_can_change_or_delete_entries_in_the_back_office(client, platform_admin, log):
    client.force_login(platform_admin)
    entry = log["edit"]
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])

    edited = client.post(change, {"action": "rewritten", "actor_label": "someone"})
    deleted = client.post(
        reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    bulk = client.post(
        reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [entry.pk]}
    )

    assert edited.status_code == 403
    assert deleted.status_code == 403
    assert bulk.status_code in (200, 302)  # no such action: nothing happens
    assert AuditEntry.objects.get(pk=entry.pk).action == "clinics.serviceoffering.update"
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_clinic_staff_cannot_read_the_log(client, clinic_manager, log):
    client.force_login(clinic_manager)

    assert client.get(reverse(CHANGELIST)).status_code == 403
