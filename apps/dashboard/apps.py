from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """Analytics for platform admins (all clinics) and clinic managers (theirs).

    Reads the other apps' tables through database aggregation; nothing imports it.
    """

    name = "apps.dashboard"
    verbose_name = "Dashboard"
