from django.apps import AppConfig


class DoctorsConfig(AppConfig):
    name = "apps.doctors"
    verbose_name = "Doctors"
