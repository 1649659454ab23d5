"""Clinic writes: who works where (staff memberships), with the person's role kept in step.

A person holds one role (``User.role``, which carries the role's permission group) and
memberships that say at which clinics. A membership therefore never contradicts the role:
giving someone a membership with another role than theirs would change what they may do at
every other clinic too, so it is refused; a patient account becomes staff when first hired,
and goes back to a patient account when the last membership ends.
"""

from django.db import transaction

from apps.accounts.models import User
from apps.accounts.roles import CLINIC_ROLES, MANAGER_ASSIGNABLE_ROLES, Role
from apps.accounts.services import user_set_role
from apps.audit.services import audit_record
from apps.clinics.exceptions import (
    MembershipExists,
    MembershipNeedsDoctorProfile,
    MembershipNotAllowed,
    MembershipRoleConflict,
)
from apps.clinics.models import Clinic, ClinicMembership
from apps.clinics.selectors import clinic_list_for_staff


def _may_manage(actor: User, clinic: Clinic, role: str) -> bool:
    if actor.is_platform_admin:
        return role in CLINIC_ROLES
    return (
        actor.role == Role.CLINIC_MANAGER
        and role in MANAGER_ASSIGNABLE_ROLES
        and clinic_list_for_staff(actor).filter(pk=clinic.pk).exists()
    )


def membership_check_add(*, clinic: Clinic, user: User, role: str, actor: User) -> None:
    """Raise the error ``membership_add`` would raise for these values (forms call it to
    show a field error; the service calls it again under its lock)."""
    if not _may_manage(actor, clinic, role):
        raise MembershipNotAllowed()
    if user.is_superuser or user.role == Role.PLATFORM_ADMIN:
        raise MembershipNotAllowed(field="user")
    if user.role not in (Role.PATIENT, role):
        raise MembershipRoleConflict()
    if role == Role.DOCTOR and not hasattr(user, "doctor_profile"):
        raise MembershipNeedsDoctorProfile()
    if ClinicMembership.objects.filter(user=user, clinic=clinic, role=role).exists():
        raise MembershipExists()


def membership_may_remove(*, membership: ClinicMembership, actor: User) -> bool:
    """Managers remove only the roles they may give, at their clinics, never themselves."""
    if membership.user_id == actor.pk and not actor.is_platform_admin:
        return False
    return _may_manage(actor, membership.clinic, membership.role)


@transaction.atomic
def membership_add(*, clinic: Clinic, user: User, role: str, actor: User) -> ClinicMembership:
    """Give ``user`` the clinic role ``role`` at ``clinic``.

    Lock: the user row (two managers hiring the same person cannot give two roles).
    Raises MembershipNotAllowed (a manager naming a manager, a clinic not theirs, or the
    person is a platform admin), MembershipRoleConflict (the person holds another role),
    MembershipNeedsDoctorProfile, MembershipExists.
    """
    person = User.objects.select_for_update().get(pk=user.pk)
    membership_check_add(clinic=clinic, user=person, role=role, actor=actor)
    if person.role != role or not person.is_staff:
        user_set_role(user=person, role=role, actor=actor)
    membership = ClinicMembership.objects.create(user=person, clinic=clinic, role=role)
    audit_record(
        actor=actor,
        action="clinic_membership.create",
        target=membership,
        changes={"user": [None, person.email], "clinic": [None, clinic.pk], "role": [None, role]},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: ClinicMembership, actor: User) -> None:
    """End a membership. The person's last one ending makes them a patient account again
    (no back office). Lock: the user row. Raises MembershipNotAllowed (managers remove
    only the roles they may give, at their clinics, and never themselves)."""
    if not membership_may_remove(membership=membership, actor=actor):
        raise MembershipNotAllowed()
    person = User.objects.select_for_update().get(pk=membership.user_id)
    audit_record(
        actor=actor,
        action="clinic_membership.delete",
        target=membership,
        changes={
            "user": [person.email, None],
            "clinic": [membership.clinic_id, None],
            "role": [membership.role, None],
        },
    )
    membership.delete()
    if not ClinicMembership.objects.filter(user=person).exists() and person.role in CLINIC_ROLES:
        user_set_role(user=person, role=Role.PATIENT, actor=actor)
