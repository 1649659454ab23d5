from datetime import date, time, timedelta

import factory
from django.utils import timezone

from apps.timeslots.models import (
    ExceptionKind,
    ScheduleBreak,
    ScheduleException,
    ScheduleRule,
    Slot,
    SlotStatus,
)
from tests.clinics.factories import ClinicFactory
from tests.doctors.factories import DoctorFactory


class ScheduleRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScheduleRule

    doctor = factory.SubFactory(DoctorFactory)
    clinic = factory.SubFactory(ClinicFactory)
    weekday = 0
    start_time = time(9, 0)
    end_time = time(12, 0)
    slot_minutes = 30
    valid_from = date(2020, 1, 1)


class ScheduleBreakFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScheduleBreak

    rule = factory.SubFactory(ScheduleRuleFactory)
    start_time = time(12, 0)
    end_time = time(13, 0)


class ScheduleExceptionFactory(factory.django.DjangoModelFactory):
    """Leave by default, at every clinic. Pass ``starts_at`` and ``ends_at`` (aware)."""

    class Meta:
        model = ScheduleException

    doctor = factory.SubFactory(DoctorFactory)
    clinic = None
    kind = ExceptionKind.LEAVE


class SlotFactory(factory.django.DjangoModelFactory):
    """A slot; by default tomorrow-ish (pass ``starts_at``). Length from ``minutes``."""

    class Meta:
        model = Slot
        exclude = ["minutes"]

    doctor = factory.SubFactory(DoctorFactory)
    clinic = factory.SubFactory(ClinicFactory)
    minutes = 30
    starts_at = factory.Sequence(
        lambda n: (
            timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1, hours=n)
        )
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=o.minutes))
    status = SlotStatus.OPEN
