from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared building blocks (errors, money, time); installed for its template tags."""

    name = "apps.core"
    verbose_name = "Core"
