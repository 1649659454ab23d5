from django.apps import AppConfig


class TimeslotsConfig(AppConfig):
    name = "apps.timeslots"
    verbose_name = "Schedules and slots"
