"""Account writes: users, roles and the groups that carry each role's permissions."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from apps.accounts.models import PatientProfile, User
from apps.accounts.roles import CLINIC_ROLES, ROLE_PERMISSIONS, Role, group_name
from apps.audit.services import audit_record


def roles_sync(*, using: str = "default") -> None:
    """Create or update one group per staff role with exactly its permissions.

    Idempotent; runs after every ``migrate``. Permissions of apps not installed yet are
    skipped and picked up on a later run.
    """
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    by_name = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.using(using).select_related("content_type")
        if f"{p.content_type.app_label}.{p.codename}" in wanted
    }
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=group_name(role))
        group.permissions.set([by_name[p] for p in perms if p in by_name])


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    role: str = Role.PATIENT,
    actor=None,
) -> User:
    """Create a user with ``role``; patients get a profile, staff get their role's group."""
    user = User.objects.create_user(
        email=email, password=password, first_name=first_name, last_name=last_name
    )
    user_set_role(user=user, role=role, actor=actor)
    if role == Role.PATIENT:
        PatientProfile.objects.create(user=user)
    audit_record(actor=actor, action="user.create", target=user, changes={"role": [None, role]})
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str, actor=None) -> User:
    """Give ``user`` the role: back-office access and the role's group follow from it."""
    previous = user.role
    user.role = role
    user.is_staff = role in CLINIC_ROLES or role == Role.PLATFORM_ADMIN
    user.is_superuser = role == Role.PLATFORM_ADMIN
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    role_groups = Group.objects.filter(name__in=[group_name(r) for r in ROLE_PERMISSIONS])
    user.groups.remove(*role_groups)
    if role in ROLE_PERMISSIONS:
        group, _ = Group.objects.get_or_create(name=group_name(role))
        user.groups.add(group)
    if previous != role:
        audit_record(
            actor=actor, action="user.set_role", target=user, changes={"role": [previous, role]}
        )
    return user
