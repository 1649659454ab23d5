from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API for developers: DRF views over the domain apps' selectors and services."""

    name = "apps.api"
    verbose_name = "API"
