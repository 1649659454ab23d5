from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "apps.bookings"
    verbose_name = "Bookings"

    def ready(self) -> None:
        from apps.bookings.receivers import connect

        connect()
