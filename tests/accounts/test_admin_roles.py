"""Roles in the back office: each role's group carries its permissions, and no more."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from apps.accounts.models import User
from apps.accounts.roles import CLINIC_ROLES, ROLE_PERMISSIONS, Role, group_name
from apps.accounts.services import roles_sync, user_set_role
from apps.audit.models import AuditEntry
from apps.bookings.models import Booking
from apps.clinics.models import ClinicMembership, ServiceOffering
from apps.timeslots.models import ScheduleException, ScheduleRule, Slot, SlotStatus
from tests.accounts.factories import UserFactory
from tests.clinics.admin_helpers import (
    admin_url,
    assert_redirected_as_missing,
    change_url,
    changelist_url,
    form_errors,
    listed_pks,
    snapshot,
)
from tests.doctors.factories import DoctorFactory
from tests.timeslots.factories import ScheduleRuleFactory, SlotFactory

PERSONAS = {
    "receptionist": Role.RECEPTIONIST,
    "nurse": Role.NURSE,
    "clinic_manager": Role.CLINIC_MANAGER,
    "doctor_user": Role.DOCTOR,
}


def group_permissions(role: str) -> set[str]:
    group = Group.objects.get(name=group_name(role))
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLE_PERMISSIONS))
def test_each_role_group_holds_exactly_the_permissions_listed_for_it(role):
    # Equality also proves every listed name exists: roles_sync skips unknown ones.
    assert group_permissions(role) == set(ROLE_PERMISSIONS[role])


@pytest.mark.django_db
def test_role_permissions_cover_exactly_the_clinic_roles():
    assert set(ROLE_PERMISSIONS) == set(CLINIC_ROLES)


@pytest.mark.django_db
def test_roles_sync_puts_back_the_permissions_of_a_tampered_group():
    group = Group.objects.get(name=group_name(Role.NURSE))
    group.permissions.set([Permission.objects.get(codename="delete_booking")])

    roles_sync()

    assert group_permissions(Role.NURSE) == set(ROLE_PERMISSIONS[Role.NURSE])


@pytest.mark.parametrize(("persona", "role"), PERSONAS.items())
def test_staff_hold_exactly_their_roles_permissions(request, persona, role):
    user = User.objects.get(pk=request.getfixturevalue(persona).pk)
    assert user.is_staff
    assert not user.is_superuser
    assert user.get_all_permissions() == set(ROLE_PERMISSIONS[role])


@pytest.mark.django_db
def test_user_set_role_moves_a_user_from_one_role_group_to_the_other():
    user = UserFactory()
    user_set_role(user=user, role=Role.RECEPTIONIST)

    user_set_role(user=user, role=Role.NURSE)

    assert list(user.groups.values_list("name", flat=True)) == [group_name(Role.NURSE)]


@pytest.mark.django_db
def test_user_set_role_back_to_patient_takes_away_back_office_access():
    user = UserFactory()
    user_set_role(user=user, role=Role.CLINIC_MANAGER)

    user_set_role(user=user, role=Role.PATIENT)

    user.refresh_from_db()
    assert not user.is_staff
    assert not user.groups.exists()


# --- What each role may do in the admin ----------------------------------------------------------


def test_nurse_cannot_change_a_schedule_rule(client, nurse, world):
    rule = ScheduleRuleFactory(doctor=world.doctor, clinic=world.clinic)
    before = snapshot(rule)
    client.force_login(nurse)

    page = client.get(change_url(rule))
    post = client.post(change_url(rule), {"end_time": "18:00:00"})

    assert page.status_code == 403
    assert post.status_code == 403
    assert snapshot(rule) == before


def test_receptionist_cannot_add_a_service_offering(client, receptionist, world):
    client.force_login(receptionist)
    data = {
        "clinic": str(world.clinic.pk),
        "category": str(world.service.category_id),
        "name": "Unauthorised scan",
        "duration_minutes": "30",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "0",
        "price_minor": "1000",
        "is_active": "on",
    }

    page = client.get(admin_url(ServiceOffering, "add"))
    post = client.post(admin_url(ServiceOffering, "add"), data)

    assert page.status_code == 403
    assert post.status_code == 403
    assert not ServiceOffering.objects.filter(name="Unauthorised scan").exists()


def test_receptionist_may_view_but_not_change_a_service_offering(client, receptionist, world):
    before = snapshot(world.service)
    client.force_login(receptionist)

    page = client.get(change_url(world.service))
    post = client.post(change_url(world.service), {"price_minor": "1"})

    assert page.status_code == 200
    assert post.status_code == 403
    assert snapshot(world.service) == before


def test_doctor_cannot_block_own_clinics_slot(client, doctor_user, world):
    slot = world.slots[0]
    client.force_login(doctor_user)

    response = client.post(change_url(slot), {"status": SlotStatus.BLOCKED.value})

    assert response.status_code == 403
    assert Slot.objects.get(pk=slot.pk).status == SlotStatus.OPEN


@pytest.mark.parametrize(
    ("persona", "model", "expected"),
    [
        ("receptionist", ScheduleException, 200),
        ("receptionist", ScheduleRule, 403),
        ("nurse", ScheduleException, 403),
        ("doctor_user", ScheduleException, 200),
        ("doctor_user", ScheduleRule, 200),
        ("clinic_manager", ScheduleRule, 200),
        ("clinic_manager", ServiceOffering, 200),
        ("clinic_manager", ClinicMembership, 200),
        ("receptionist", ClinicMembership, 403),
        ("clinic_manager", Booking, 403),
        ("clinic_manager", Slot, 403),
    ],
)
def test_add_page_is_open_only_to_roles_allowed_to_add(client, request, persona, model, expected):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(admin_url(model, "add")).status_code == expected


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("model", [User, AuditEntry])
def test_clinic_staff_cannot_open_user_accounts_or_the_audit_log(client, request, persona, model):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(changelist_url(model)).status_code == 403


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_clinic_staff_cannot_open_another_users_account(client, request, persona, platform_admin):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(change_url(platform_admin)).status_code == 403


@pytest.mark.parametrize("model", [User, AuditEntry])
def test_platform_admin_can_open_user_accounts_and_the_audit_log(client, platform_admin, model):
    client.force_login(platform_admin)
    assert client.get(changelist_url(model)).status_code == 200


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_clinic_staff_reach_the_admin_index(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("admin:index")).status_code == 200


# --- Doctors keep their own week --------------------------------------------------------------


@pytest.fixture
def colleague(world):
    return DoctorFactory(services=[world.service])


def rule_data(doctor, clinic, **extra) -> dict:
    return {
        "doctor": str(doctor.pk),
        "clinic": str(clinic.pk),
        "weekday": "3",
        "start_time": "14:00:00",
        "end_time": "17:00:00",
        "slot_minutes": "30",
        "valid_from": "2026-01-01",
        "is_active": "on",
        "breaks-TOTAL_FORMS": "0",
        "breaks-INITIAL_FORMS": "0",
        **extra,
    }


def test_doctor_adds_a_rule_for_themselves_with_themselves_chosen(
    client, doctor_user, world, colleague
):
    client.force_login(doctor_user)

    page = client.get(admin_url(ScheduleRule, "add"))
    response = client.post(admin_url(ScheduleRule, "add"), rule_data(world.doctor, world.clinic))

    form = page.context["adminform"].form
    assert list(form.fields["doctor"].queryset) == [world.doctor]
    assert form.initial["doctor"] == world.doctor.pk
    assert response.status_code == 302
    assert ScheduleRule.objects.filter(doctor=world.doctor, weekday=3).exists()


def test_doctor_cannot_add_a_rule_for_a_colleague(client, doctor_user, world, colleague):
    client.force_login(doctor_user)

    response = client.post(admin_url(ScheduleRule, "add"), rule_data(colleague, world.clinic))

    assert "doctor" in form_errors(response)
    assert not ScheduleRule.objects.filter(doctor=colleague).exists()


def test_doctor_cannot_record_leave_for_a_colleague(client, doctor_user, world, colleague):
    client.force_login(doctor_user)
    day = (world.slots[-1].ends_at + timedelta(days=3)).strftime("%Y-%m-%d")
    data = {
        "doctor": str(colleague.pk),
        "kind": "leave",
        "clinic": "",
        "starts_at_0": day,
        "starts_at_1": "08:00:00",
        "ends_at_0": day,
        "ends_at_1": "12:00:00",
        "note": "Not mine to take",
    }

    response = client.post(admin_url(ScheduleException, "add"), data)
    own = client.post(admin_url(ScheduleException, "add"), {**data, "doctor": world.doctor.pk})

    assert "doctor" in form_errors(response)
    assert own.status_code == 302
    assert list(ScheduleException.objects.values_list("doctor_id", flat=True)) == [world.doctor.pk]


def test_doctor_cannot_change_or_delete_a_colleagues_rule(client, doctor_user, world, colleague):
    rule = ScheduleRuleFactory(doctor=colleague, clinic=world.clinic)
    before = snapshot(rule)
    client.force_login(doctor_user)

    changed = client.post(change_url(rule), rule_data(colleague, world.clinic))
    deleted = client.post(admin_url(ScheduleRule, "delete", rule.pk), {"post": "yes"})

    assert_redirected_as_missing(changed)
    assert_redirected_as_missing(deleted)
    assert snapshot(rule) == before


def test_doctor_lists_only_own_schedule_rules_and_slots(client, doctor_user, world, colleague):
    own = ScheduleRuleFactory(doctor=world.doctor, clinic=world.clinic)
    ScheduleRuleFactory(doctor=colleague, clinic=world.clinic)
    SlotFactory(doctor=colleague, clinic=world.clinic)
    client.force_login(doctor_user)

    assert listed_pks(client.get(changelist_url(ScheduleRule))) == {own.pk}
    assert listed_pks(client.get(changelist_url(Slot))) == {s.pk for s in world.slots}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (
            "doctor_user",
            {
                "Doctor schedules",
                "Schedule exceptions",
                "Schedule rules",
                "Slots",
                "Bookings",
                "Visit notes",
                "Reviews",  # doctors answer the reviews about them
            },
        ),
        ("nurse", {"Clinics", "Doctors", "Slots", "Bookings", "Visit notes"}),
    ],
)
def test_admin_index_lists_only_the_models_a_role_uses(client, request, persona, expected):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("admin:index"))

    names = {str(model["name"]) for app in response.context["app_list"] for model in app["models"]}
    assert names == expected
