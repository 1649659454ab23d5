from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The patient-facing site: find care, book, manage appointments.

    Views and forms only. What they show comes from the domain apps' selectors, what they
    change goes through the domain apps' services.
    """

    name = "apps.portal"
    verbose_name = "Patient portal"
