from datetime import timedelta

import factory

from apps.bookings.models import Booking, BookingStatus
from tests.accounts.factories import PatientFactory
from tests.timeslots.factories import SlotFactory


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking row written directly, for tests of reads and history.

    Tests of booking rules go through ``services.booking_create`` instead.
    """

    class Meta:
        model = Booking

    slot = factory.SubFactory(SlotFactory)
    patient = factory.SubFactory(PatientFactory)
    doctor = factory.SelfAttribute("slot.doctor")
    clinic = factory.SelfAttribute("slot.clinic")
    service = factory.SubFactory(
        "tests.clinics.factories.ServiceOfferingFactory", clinic=factory.SelfAttribute("..clinic")
    )
    starts_at = factory.SelfAttribute("slot.starts_at")
    ends_at = factory.LazyAttribute(
        lambda o: o.starts_at + timedelta(minutes=o.service.duration_minutes)
    )
    blocked_from = factory.SelfAttribute("starts_at")
    blocked_until = factory.SelfAttribute("ends_at")
    status = BookingStatus.CONFIRMED
    price_base_minor = factory.SelfAttribute("service.price_minor")
    price_total_minor = factory.SelfAttribute("service.price_minor")
    currency = factory.SelfAttribute("clinic.currency")
