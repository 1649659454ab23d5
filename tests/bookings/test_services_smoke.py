import pytest

from apps.bookings import services
from apps.bookings.exceptions import SlotUnavailable
from apps.bookings.models import BookingStatus


@pytest.mark.django_db
def test_booking_create_confirms_a_free_slot(world, patient):
    booking = services.booking_create(
        patient=patient, slot_id=world.slots[0].pk, service_id=world.service.pk
    )
    assert booking.status == BookingStatus.CONFIRMED
    assert [e.kind for e in booking.events.all()] == ["requested", "confirmed"]


@pytest.mark.django_db
def test_booking_create_rejects_a_taken_slot(world, patient, other_patient):
    services.booking_create(patient=patient, slot_id=world.slots[0].pk, service_id=world.service.pk)
    with pytest.raises(SlotUnavailable):
        services.booking_create(
            patient=other_patient, slot_id=world.slots[0].pk, service_id=world.service.pk
        )
