from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """Staff pages beside the Django admin: the day sheet, walk-in booking, emergency block.

    Views and forms only. What they show comes from the domain apps' selectors (scoped to
    the staff member's clinics), what they change goes through the domain apps' services.
    """

    name = "apps.backoffice"
    verbose_name = "Back office pages"
