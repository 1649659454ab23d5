from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for the embedded default (`make run`). Nothing imports it."""

    name = "apps.demo"
    verbose_name = "Demo data"
