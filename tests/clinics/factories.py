from datetime import time

import factory

from apps.accounts.roles import Role
from apps.clinics.models import (
    Clinic,
    ClinicMembership,
    Closure,
    OpeningHours,
    ServiceCategory,
    ServiceOffering,
)
from tests.accounts.factories import StaffUserFactory


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    address = "Hauptstraße 1"
    city = "Berlin"
    country = "DE"
    timezone = "Europe/Berlin"
    currency = "EUR"
    min_notice_minutes = 0
    max_advance_days = 365


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningHours

    clinic = factory.SubFactory(ClinicFactory)
    weekday = 0
    opens = time(8, 0)
    closes = time(18, 0)


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Closure

    clinic = factory.SubFactory(ClinicFactory)
    reason = "Public holiday"


class ServiceCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCategory
        django_get_or_create = ["slug"]

    name = "Consultation"
    slug = "consultation"


class ServiceOfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceOffering

    clinic = factory.SubFactory(ClinicFactory)
    category = factory.SubFactory(ServiceCategoryFactory)
    name = factory.Sequence(lambda n: f"Consultation {n}")
    duration_minutes = 30
    price_minor = 4500


class ClinicMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClinicMembership

    user = factory.SubFactory(StaffUserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = Role.RECEPTIONIST
