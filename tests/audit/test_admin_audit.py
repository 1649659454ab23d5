"""Every admin edit is on the record: the page's object, each inline row, bulk deletes, with
the changed fields' before and after values, and nothing when nothing was saved."""

from datetime import time, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.clinics.models import Clinic, OpeningHours, ServiceOffering
from apps.doctors.models import Doctor
from apps.timeslots.models import DoctorSchedule, ScheduleException, ScheduleRule
from tests.accounts.factories import UserFactory
from tests.clinics.admin_helpers import admin_post_data, admin_url, change_url, changelist_url
from tests.clinics.factories import OpeningHoursFactory
from tests.timeslots.factories import ScheduleExceptionFactory, ScheduleRuleFactory


@pytest.fixture
def rule(world):
    return ScheduleRuleFactory(doctor=world.doctor, clinic=world.clinic, end_time=time(12, 0))


def schedule_page_data(client, doctor) -> dict:
    return admin_post_data(client.get(admin_url(DoctorSchedule, "change", doctor.pk)))


def test_inline_edit_of_a_rule_on_the_schedule_page_is_audited_with_before_and_after(
    client, clinic_manager, world, rule
):
    client.force_login(clinic_manager)
    data = schedule_page_data(client, world.doctor)
    data["schedule_rules-0-end_time"] = "11:00:00"

    response = client.post(admin_url(DoctorSchedule, "change", world.doctor.pk), data)

    assert response.status_code == 302
    entry = AuditEntry.objects.for_target(rule).get()
    assert entry.action == "timeslots.schedulerule.update"
    assert entry.actor == clinic_manager
    assert entry.changes == {"end_time": ["12:00:00", "11:00:00"]}


def test_doctor_editing_own_rule_on_own_schedule_page_is_audited(client, doctor_user, world, rule):
    client.force_login(doctor_user)
    data = schedule_page_data(client, world.doctor)
    data["schedule_rules-0-slot_minutes"] = "20"

    response = client.post(admin_url(DoctorSchedule, "change", world.doctor.pk), data)

    assert response.status_code == 302
    entry = AuditEntry.objects.for_target(rule).get()
    assert (entry.actor, entry.changes) == (doctor_user, {"slot_minutes": [30, 20]})


def test_inline_add_and_delete_on_the_schedule_page_are_audited(
    client, clinic_manager, world, rule
):
    client.force_login(clinic_manager)
    data = schedule_page_data(client, world.doctor)
    data["schedule_rules-0-DELETE"] = "on"
    starts = world.slots[-1].ends_at + timedelta(days=3)
    prefix = "schedule_exceptions"
    data[f"{prefix}-TOTAL_FORMS"] = "1"
    data.update(
        {
            f"{prefix}-0-kind": "leave",
            f"{prefix}-0-clinic": "",
            f"{prefix}-0-starts_at_0": starts.strftime("%Y-%m-%d"),
            f"{prefix}-0-starts_at_1": "08:00:00",
            f"{prefix}-0-ends_at_0": starts.strftime("%Y-%m-%d"),
            f"{prefix}-0-ends_at_1": "12:00:00",
            f"{prefix}-0-note": "Conference",
            f"{prefix}-0-doctor": str(world.doctor.pk),
        }
    )

    response = client.post(admin_url(DoctorSchedule, "change", world.doctor.pk), data)

    assert response.status_code == 302, response.context and response.context.get("errors")
    deleted = AuditEntry.objects.get(action="timeslots.schedulerule.delete")
    assert deleted.target_id == str(rule.pk)
    assert deleted.changes["end_time"] == ["12:00:00", None]
    assert deleted.changes["doctor"] == [world.doctor.pk, None]
    leave = ScheduleException.objects.get(note="Conference")
    created = AuditEntry.objects.for_target(leave).get()
    assert created.action == "timeslots.scheduleexception.create"
    assert created.changes["note"] == [None, "Conference"]
    assert created.changes["kind"] == [None, "leave"]


def test_an_invalid_schedule_page_post_records_nothing(client, clinic_manager, world, rule):
    client.force_login(clinic_manager)
    data = schedule_page_data(client, world.doctor)
    data["schedule_rules-0-end_time"] = "08:00:00"  # before the start: refused
    seen = set(AuditEntry.objects.values_list("pk", flat=True))

    response = client.post(admin_url(DoctorSchedule, "change", world.doctor.pk), data)

    assert response.status_code == 200
    assert not AuditEntry.objects.exclude(pk__in=seen).exists()


def test_manager_edits_to_the_cancellation_policy_and_opening_hours_are_audited(
    client, clinic_manager, world
):
    hours = OpeningHoursFactory(clinic=world.clinic, weekday=0, closes=time(18, 0))
    client.force_login(clinic_manager)
    data = admin_post_data(client.get(change_url(world.clinic)))
    data["cancellation_cutoff_hours"] = "48"
    data["opening_hours-0-closes"] = "17:30:00"

    response = client.post(change_url(world.clinic), data)

    assert response.status_code == 302, response.context and response.context.get("errors")
    clinic_entry = AuditEntry.objects.get(action="clinics.clinic.update")
    assert clinic_entry.changes["cancellation_cutoff_hours"][1] == 48
    assert set(clinic_entry.changes) == {"cancellation_cutoff_hours"}
    hours_entry = AuditEntry.objects.for_target(hours).get()
    assert hours_entry.changes == {"closes": ["18:00:00", "17:30:00"]}
    assert Clinic.objects.get(pk=world.clinic.pk).cancellation_cutoff_hours == 48
    assert OpeningHours.objects.get(pk=hours.pk).closes == time(17, 30)


def test_manager_price_change_is_audited(client, clinic_manager, world):
    client.force_login(clinic_manager)
    data = admin_post_data(client.get(change_url(world.service)))
    data["price_minor"] = "5000"

    client.post(change_url(world.service), data)

    entry = AuditEntry.objects.for_target(world.service).get()
    assert entry.action == "clinics.serviceoffering.update"
    assert entry.changes == {"price_minor": [4500, 5000]}
    assert ServiceOffering.objects.get(pk=world.service.pk).price_minor == 5000


def test_doctor_profile_edit_is_audited_with_many_to_many_links(client, clinic_manager, world):
    client.force_login(clinic_manager)
    data = admin_post_data(client.get(change_url(world.doctor)))
    data["bio"] = "Family doctor since 2010."

    client.post(change_url(world.doctor), data)

    entry = AuditEntry.objects.for_target(world.doctor).get()
    assert entry.action == "doctors.doctor.update"
    assert entry.changes["bio"][1] == "Family doctor since 2010."
    assert Doctor.objects.get(pk=world.doctor.pk).bio == "Family doctor since 2010."


def test_bulk_delete_action_records_one_entry_per_row_with_its_values(
    client, clinic_manager, world
):
    starts = world.slots[-1].ends_at + timedelta(days=2)
    leaves = [
        ScheduleExceptionFactory(
            doctor=world.doctor,
            starts_at=starts + timedelta(days=i),
            ends_at=starts + timedelta(days=i, hours=3),
            note=f"Leave {i}",
        )
        for i in range(3)
    ]
    client.force_login(clinic_manager)

    client.post(
        changelist_url(ScheduleException),
        {"action": "delete_selected", "_selected_action": [x.pk for x in leaves], "post": "yes"},
    )

    entries = AuditEntry.objects.filter(action="timeslots.scheduleexception.delete")
    assert {e.target_id for e in entries} == {str(x.pk) for x in leaves}
    assert {e.changes["note"][0] for e in entries} == {"Leave 0", "Leave 1", "Leave 2"}
    assert not ScheduleException.objects.exists()


def test_user_account_edits_are_audited_without_the_password_hash(client, platform_admin):
    person = UserFactory(first_name="Old")
    client.force_login(platform_admin)
    data = admin_post_data(client.get(change_url(person)))
    data["first_name"] = "New"

    response = client.post(change_url(person), data)

    assert response.status_code == 302, response.context and response.context.get("errors")
    entry = AuditEntry.objects.for_target(person).get(action="accounts.user.update")
    assert entry.changes == {"first_name": ["Old", "New"]}
    assert all("password" not in str(e.changes) for e in AuditEntry.objects.all())


def test_a_password_set_in_the_admin_is_recorded_as_the_bare_fact(client, platform_admin):
    person = UserFactory()
    client.force_login(platform_admin)
    url = reverse("admin:auth_user_password_change", args=[person.pk])

    client.post(url, {"password1": "a-new-Secret-77", "password2": "a-new-Secret-77"})

    entry = AuditEntry.objects.for_target(person).get(action="accounts.user.password_change")
    assert entry.actor == platform_admin
    assert entry.changes == {}


def test_a_rule_added_on_its_own_page_is_audited(client, clinic_manager, world):
    client.force_login(clinic_manager)
    data = {
        "doctor": str(world.doctor.pk),
        "clinic": str(world.clinic.pk),
        "weekday": "2",
        "start_time": "14:00:00",
        "end_time": "17:00:00",
        "slot_minutes": "30",
        "valid_from": "2026-01-01",
        "is_active": "on",
        "breaks-TOTAL_FORMS": "0",
        "breaks-INITIAL_FORMS": "0",
    }

    response = client.post(admin_url(ScheduleRule, "add"), data)

    assert response.status_code == 302, response.context and response.context.get("errors")
    rule = ScheduleRule.objects.get(weekday=2)
    entry = AuditEntry.objects.for_target(rule).get()
    assert entry.action == "timeslots.schedulerule.create"
    assert entry.changes["start_time"] == [None, "14:00:00"]


def test_a_permission_group_edit_is_audited_with_its_permissions(client, platform_admin):
    group = Group.objects.create(name="Auditors")
    permission = Permission.objects.get(codename="view_auditentry")
    client.force_login(platform_admin)
    data = admin_post_data(client.get(change_url(group)))
    data["permissions"] = [str(permission.pk)]

    response = client.post(change_url(group), data)

    assert response.status_code == 302, response.context and response.context.get("errors")
    entry = AuditEntry.objects.for_target(group).get()
    assert entry.action == "auth.group.update"
    assert entry.changes == {"permissions": [[], [permission.pk]]}
