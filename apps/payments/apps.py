from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from apps.payments import receivers

        receivers.connect()
