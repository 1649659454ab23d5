"""Reads about clinics, already scoped to who is asking."""

from collections.abc import Iterable

from django.db.models import QuerySet

from apps.clinics.models import Clinic, ClinicMembership


def clinic_list_for_staff(user, roles: Iterable[str] | None = None) -> QuerySet[Clinic]:
    """The clinics ``user`` may see in the back office: all for platform admins. With
    ``roles``, only those where they hold one of these roles (a manager who is also a
    doctor elsewhere manages only the first clinic)."""
    if not (user.is_authenticated and user.is_active):
        return Clinic.objects.none()
    if user.is_platform_admin:
        return Clinic.objects.all()
    memberships = ClinicMembership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return Clinic.objects.filter(pk__in=memberships.values("clinic_id"))


def scope_to_clinics(queryset: QuerySet, user) -> QuerySet:
    """Narrow ``queryset`` to rows that belong to a clinic ``user`` staffs.

    The model names the ORM path to its clinic in ``clinic_scope_path`` ("clinic",
    "services__clinic"). Filtering by primary key on a subquery keeps the rows unique
    even when the path crosses a many-to-many relation.
    """
    if user.is_authenticated and user.is_platform_admin:
        return queryset
    clinic_ids = clinic_list_for_staff(user).values("pk")
    model = queryset.model
    path = model.clinic_scope_path
    in_scope = model._default_manager.filter(**{f"{path}__in": clinic_ids}).values("pk")
    return queryset.filter(pk__in=in_scope)


def is_clinic_scoped(model) -> bool:
    return hasattr(model, "clinic_scope_path")
