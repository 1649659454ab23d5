"""Staff memberships: managers hire and let go of doctors, nurses and receptionists at their
own clinics, the person's role follows, and no road leads to more power than that."""

import pytest
from django.contrib.auth.models import Group

from apps.accounts.models import User
from apps.accounts.roles import Role, group_name
from apps.audit.models import AuditEntry
from apps.clinics.exceptions import MembershipNotAllowed
from apps.clinics.models import ClinicMembership
from apps.clinics.services import membership_add, membership_remove
from tests.accounts.factories import PatientFactory, UserFactory
from tests.clinics.admin_helpers import admin_url, change_url, delete_url, form_errors
from tests.conftest import _staff

ADD = admin_url(ClinicMembership, "add")


def add(client, email, clinic, role):
    return client.post(ADD, {"email": email, "clinic": clinic.pk, "role": role})


def state(user) -> tuple:
    """What decides a person's power: role, flags, groups and memberships."""
    fresh = User.objects.get(pk=user.pk)
    return (
        fresh.role,
        fresh.is_staff,
        fresh.is_superuser,
        set(fresh.groups.values_list("name", flat=True)),
        set(ClinicMembership.objects.filter(user=fresh).values_list("clinic_id", "role")),
    )


def test_manager_hires_a_receptionist_who_gets_the_role_and_its_group(
    client, clinic_manager, world
):
    person = PatientFactory(email="new.hire@example.test")
    client.force_login(clinic_manager)

    response = add(client, "New.Hire@example.test", world.clinic, Role.RECEPTIONIST)

    assert response.status_code == 302, response.context and form_errors(response)
    assert state(person) == (
        Role.RECEPTIONIST,
        True,
        False,
        {group_name(Role.RECEPTIONIST)},
        {(world.clinic.pk, Role.RECEPTIONIST)},
    )
    membership = ClinicMembership.objects.get(user=person)
    entry = AuditEntry.objects.for_target(membership).get(action="clinic_membership.create")
    assert entry.actor == clinic_manager
    assert AuditEntry.objects.filter(action="user.set_role", target_id=str(person.pk)).exists()


def test_manager_add_form_offers_no_manager_role_and_only_own_clinics(
    client, clinic_manager, world, other_world
):
    client.force_login(clinic_manager)
    form = client.get(ADD).context["adminform"].form

    assert {value for value, _label in form.fields["role"].choices if value} == {
        Role.DOCTOR,
        Role.NURSE,
        Role.RECEPTIONIST,
    }
    assert set(form.fields["clinic"].queryset) == {world.clinic}


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("a manager at own clinic", "role"),
        ("a receptionist at the other clinic", "clinic"),
        ("a platform admin as receptionist", "email"),
        ("the other clinic's manager as nurse", "email"),
        ("oneself as receptionist", "email"),
        ("a patient as doctor without a doctor profile", "role"),
        ("an unknown address", "email"),
    ],
)
def test_manager_escalation_attempts_are_refused_and_change_nothing(
    client, clinic_manager, world, other_world, platform_admin, case, field
):
    elsewhere = _staff(Role.CLINIC_MANAGER, other_world.clinic, "boss.elsewhere@example.test")
    patient = PatientFactory(email="someone@example.test")
    email, clinic, role = {
        "a manager at own clinic": (patient.email, world.clinic, Role.CLINIC_MANAGER),
        "a receptionist at the other clinic": (
            patient.email,
            other_world.clinic,
            Role.RECEPTIONIST,
        ),
        "a platform admin as receptionist": (platform_admin.email, world.clinic, "receptionist"),
        "the other clinic's manager as nurse": (elsewhere.email, world.clinic, Role.NURSE),
        "oneself as receptionist": (clinic_manager.email, world.clinic, Role.RECEPTIONIST),
        "a patient as doctor without a doctor profile": (patient.email, world.clinic, "doctor"),
        "an unknown address": ("nobody@example.test", world.clinic, Role.NURSE),
    }[case]
    people = [patient, platform_admin, elsewhere, clinic_manager]
    before = [state(p) for p in people]
    client.force_login(clinic_manager)

    response = add(client, email, world.clinic if clinic is None else clinic, role)

    assert field in form_errors(response)
    assert [state(p) for p in people] == before


def test_manager_cannot_edit_a_membership_in_place(client, clinic_manager, receptionist, world):
    own = ClinicMembership.objects.get(user=clinic_manager)
    client.force_login(clinic_manager)

    response = client.post(change_url(own), {"clinic": world.clinic.pk, "role": "nurse"})

    assert response.status_code == 403
    assert state(clinic_manager)[0] == Role.CLINIC_MANAGER


def test_manager_lets_a_receptionist_go_who_becomes_a_patient_account_again(
    client, clinic_manager, receptionist
):
    membership = ClinicMembership.objects.get(user=receptionist)
    client.force_login(clinic_manager)

    response = client.post(delete_url(membership), {"post": "yes"})

    assert response.status_code == 302
    assert state(receptionist) == (Role.PATIENT, False, False, set(), set())
    entry = AuditEntry.objects.get(action="clinic_membership.delete")
    assert entry.changes["role"] == [Role.RECEPTIONIST, None]


def test_removing_one_of_two_memberships_keeps_the_role(client, clinic_manager, world, other_world):
    nurse = _staff(Role.NURSE, other_world.clinic, "two.jobs@example.test")
    membership_add(clinic=world.clinic, user=nurse, role=Role.NURSE, actor=clinic_manager)
    client.force_login(clinic_manager)

    client.post(
        delete_url(ClinicMembership.objects.get(user=nurse, clinic=world.clinic)), {"post": "yes"}
    )

    assert state(nurse)[:2] == (Role.NURSE, True)
    assert state(nurse)[4] == {(other_world.clinic.pk, Role.NURSE)}


@pytest.mark.parametrize("whose", ["own", "another manager's"])
def test_manager_cannot_remove_a_manager_membership(client, clinic_manager, world, whose):
    target_user = (
        clinic_manager
        if whose == "own"
        else _staff(Role.CLINIC_MANAGER, world.clinic, "co.manager@example.test")
    )
    membership = ClinicMembership.objects.get(user=target_user)
    client.force_login(clinic_manager)

    response = client.post(delete_url(membership), {"post": "yes"})

    assert response.status_code == 403
    assert ClinicMembership.objects.filter(pk=membership.pk).exists()


def test_manager_cannot_remove_the_other_clinics_staff(client, clinic_manager, other_world):
    outsider = _staff(Role.RECEPTIONIST, other_world.clinic, "front.desk@example.test")
    membership = ClinicMembership.objects.get(user=outsider)
    client.force_login(clinic_manager)

    client.post(delete_url(membership), {"post": "yes"})

    assert ClinicMembership.objects.filter(pk=membership.pk).exists()


def test_platform_admin_appoints_a_manager(client, platform_admin, world):
    person = UserFactory()
    client.force_login(platform_admin)

    response = add(client, person.email, world.clinic, Role.CLINIC_MANAGER)

    assert response.status_code == 302
    assert state(person)[:4] == (
        Role.CLINIC_MANAGER,
        True,
        False,
        {group_name(Role.CLINIC_MANAGER)},
    )


def test_membership_services_refuse_managers_directly_too(
    clinic_manager, receptionist, world, other_world
):
    # The admin is one caller; the rules live in the service.
    with pytest.raises(MembershipNotAllowed):
        membership_add(
            clinic=other_world.clinic,
            user=receptionist,
            role=Role.RECEPTIONIST,
            actor=clinic_manager,
        )
    with pytest.raises(MembershipNotAllowed):
        membership_remove(
            membership=ClinicMembership.objects.get(user=clinic_manager), actor=clinic_manager
        )
    with pytest.raises(MembershipNotAllowed):
        membership_remove(
            membership=ClinicMembership.objects.get(user=receptionist), actor=receptionist
        )
    assert (
        Group.objects.get(name=group_name(Role.RECEPTIONIST))
        .user_set.filter(pk=receptionist.pk)
        .exists()
    )
