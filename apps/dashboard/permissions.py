"""Who may see the dashboard, and which clinics: platform admins all, clinic managers the
clinics they manage. Everyone else is refused (403), checked in the view for every page,
fragment and export."""

from django.db.models import QuerySet

from apps.accounts.roles import Role
from apps.clinics.models import Clinic
from apps.clinics.selectors import clinic_list_for_staff


def can_view_dashboard(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_platform_admin or user.role == Role.CLINIC_MANAGER


def dashboard_clinics(user) -> QuerySet[Clinic]:
    """The clinics ``user`` may analyse. A manager's other memberships (say, as a doctor
    elsewhere) do not open that clinic's figures."""
    if not can_view_dashboard(user):
        return Clinic.objects.none()
    return clinic_list_for_staff(user, roles=[Role.CLINIC_MANAGER]).order_by("name", "pk")
