from datetime import timedelta

import pytest
from django.utils import timezone

from apps.bookings import selectors, services
from apps.timeslots.models import SlotStatus
from tests.bookings.factories import BookingFactory
from tests.clinics.factories import ServiceOfferingFactory

pytestmark = pytest.mark.django_db


def bookable(world, service=None, now=None, **window):
    now = now or timezone.now()
    return selectors.slot_list_bookable(
        doctor_id=world.doctor.pk,
        clinic=world.clinic,
        service=service or world.service,
        window_start=window.get("start", now),
        window_end=window.get("end", now + timedelta(days=7)),
        now=now,
    )


def test_bookable_slots_are_the_open_free_ones_in_order(world, patient):
    services.booking_create(patient=patient, slot_id=world.slots[2].pk, service_id=world.service.pk)
    world.slots[5].status = SlotStatus.BLOCKED
    world.slots[5].save()

    assert [s.pk for s in bookable(world)] == [
        s.pk for i, s in enumerate(world.slots) if i not in (2, 5)
    ]


def test_bookable_slots_leave_out_slots_a_long_visit_or_buffer_reaches(world, patient):
    padded = ServiceOfferingFactory(
        clinic=world.clinic, duration_minutes=45, buffer_before_minutes=10
    )
    world.doctor.services.add(padded)
    services.booking_create(patient=patient, slot_id=world.slots[4].pk, service_id=padded.pk)

    # Slot 4 (11:00) + 45 min runs into slot 5; 10 min before reaches slot 3.
    assert [s.pk for s in bookable(world)] == [s.pk for s in world.slots[:3] + world.slots[6:]]


def test_bookable_slots_for_a_long_service_need_room_after(world):
    hour = ServiceOfferingFactory(clinic=world.clinic, duration_minutes=60)
    world.doctor.services.add(hour)

    # Every slot but the last can hold an hour (it would run past the doctor's day).
    assert [s.pk for s in bookable(world, hour)] == [s.pk for s in world.slots[:-1]]


def test_bookable_slots_respect_notice_and_window(world):
    world.clinic.min_notice_minutes = 60
    world.clinic.save()
    first = world.slots[0].starts_at

    # One hour before the second slot, only slots after it qualify.
    now = world.slots[1].starts_at - timedelta(minutes=60)
    assert [s.pk for s in bookable(world, now=now)] == [s.pk for s in world.slots[2:]]
    # A window ending at the fourth slot's start, asked for in good time.
    early = first - timedelta(hours=2)
    assert [
        s.pk for s in bookable(world, start=first, end=world.slots[3].starts_at, now=early)
    ] == [s.pk for s in world.slots[0:3]]


def test_bookable_slots_ignore_cancelled_bookings(world, patient):
    BookingFactory(slot=world.slots[0], patient=patient, service=world.service, status="cancelled")

    assert bookable(world)[0].pk == world.slots[0].pk


def test_bookable_slots_cost_two_queries_whatever_the_week(world, django_assert_num_queries):
    world.add_slots(200)
    with django_assert_num_queries(2):
        assert len(bookable(world, end=timezone.now() + timedelta(days=30))) == 208


def test_patients_see_only_their_own_bookings(world, patient, other_patient):
    mine = BookingFactory(slot=world.slots[0], patient=patient, service=world.service)
    BookingFactory(slot=world.slots[1], patient=other_patient, service=world.service)

    assert list(selectors.booking_list_for_patient(patient)) == [mine]


def test_staff_see_only_bookings_of_their_clinics(world, other_world, receptionist, patient):
    ours = BookingFactory(slot=world.slots[0], patient=patient, service=world.service)
    BookingFactory(slot=other_world.slots[1], patient=patient, service=other_world.service)

    assert list(selectors.booking_list_for_staff(receptionist)) == [ours]


def test_platform_admins_see_every_booking(world, other_world, platform_admin, patient):
    BookingFactory(slot=world.slots[0], patient=patient, service=world.service)
    BookingFactory(slot=other_world.slots[1], patient=patient, service=other_world.service)

    assert selectors.booking_list_for_staff(platform_admin).count() == 2


def first_available(world, service, now=None):
    now = now or timezone.now()
    found = selectors.slot_first_bookable(
        [selectors.Candidate(doctor_id=world.doctor.pk, clinic=world.clinic, service=service)],
        window_start=now,
        window_end=now + timedelta(days=7),
        now=now,
    )
    return found.get((world.doctor.pk, world.clinic.pk))


def test_first_available_looks_further_when_none_of_the_first_free_times_fit(world):
    # An hour's visit on a half-hour grid needs two free slots in a row. Every other slot
    # is blocked for the first twelve, so the first free times (more than the first look
    # reads) are all single; the first pair in a row comes after them.
    hour = ServiceOfferingFactory(clinic=world.clinic, duration_minutes=60)
    world.doctor.services.add(hour)
    world.add_slots(12)
    for slot in world.slots[1:13:2]:
        slot.status = SlotStatus.BLOCKED
        slot.save()
    free_times = [s for s in world.slots if s.status == SlotStatus.OPEN]
    earliest = bookable(world, hour)[0]  # the week's list, checked slot by slot

    assert free_times.index(earliest) >= selectors.FIRST_LOOK  # beyond the first look
    assert first_available(world, hour) == earliest
    assert first_available(world, world.service) == world.slots[0]


def test_first_available_leaves_out_a_doctor_whose_free_times_never_fit(world):
    hour = ServiceOfferingFactory(clinic=world.clinic, duration_minutes=60)
    world.doctor.services.add(hour)
    for slot in world.slots[1::2]:
        slot.status = SlotStatus.BLOCKED
        slot.save()

    assert first_available(world, hour) is None


@pytest.mark.parametrize("buffer_after", [0, 10])
def test_first_available_counts_buffers_against_the_next_booking(world, patient, buffer_after):
    # The third slot is booked: a visit in the second ends where that booking starts,
    # fine without a buffer and too close with one; and with one, the booking's own buffer
    # also takes the start of the fourth.
    service = ServiceOfferingFactory(
        clinic=world.clinic, duration_minutes=30, buffer_after_minutes=buffer_after
    )
    world.doctor.services.add(service)
    services.booking_create(patient=patient, slot_id=world.slots[2].pk, service_id=service.pk)
    for slot in world.slots[:1]:
        slot.status = SlotStatus.BLOCKED
        slot.save()

    expected = world.slots[1] if buffer_after == 0 else world.slots[4]
    assert bookable(world, service)[0] == expected  # the slot-by-slot answer
    assert first_available(world, service) == expected
