"""Exclusive booking under real concurrency: threads, each with its own PostgreSQL
connection, opened before a barrier releases them together.

Every race is run several rounds in one test. Afterwards exactly one booking holds the
contested time, every loser got the domain error a person can act on, nothing else
raised, and the losers' data is untouched.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connections, transaction

from apps.bookings import services
from apps.bookings.exceptions import BookingBusy, SlotUnavailable
from apps.bookings.models import Booking
from apps.doctors.services import doctor_lock
from tests.accounts.factories import PatientFactory
from tests.clinics.factories import ServiceOfferingFactory
from tests.concurrency import race, summary
from tests.conftest import build_world
from tests.doctors.factories import DoctorFactory
from tests.timeslots.factories import SlotFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

RACERS = 30
ROUNDS = 4


@pytest.fixture(autouse=True)
def _patient_lock_timeout(settings):
    # These tests are about who wins, not about tail latency: on a loaded machine 30
    # serialised transactions can exceed the production lock timeout, and a "busy" answer
    # would hide what the test is about. test_a_held_doctor_lock_answers_busy covers that.
    settings.BOOKING_LOCK_TIMEOUT_MS = 30_000


@contextmanager
def doctor_lock_held_elsewhere(doctor_id: int) -> Iterator[None]:
    """Another connection holds the doctor's row lock for the duration of the block."""
    holding, release = threading.Event(), threading.Event()

    def hold_the_doctor():
        try:
            with transaction.atomic():
                doctor_lock(doctor_id)
                holding.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_doctor)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        yield
    finally:
        release.set()
        holder.join(timeout=10)


def test_thirty_patients_racing_for_one_slot_leave_exactly_one_booking():
    world = build_world(slot_count=ROUNDS)
    patients = PatientFactory.create_batch(RACERS)
    for slot in world.slots:
        outcomes = race(
            [
                lambda p=p, s=slot: services.booking_create(
                    patient=p, slot_id=s.pk, service_id=world.service.pk
                )
                for p in patients
            ]
        )
        assert summary(outcomes) == {"won": 1, "SlotUnavailable": RACERS - 1}
        winner = next(o.value for o in outcomes if o.value is not None)
        active = Booking.objects.occupying().filter(slot=slot)
        assert list(active.values_list("pk", flat=True)) == [winner.pk]
        # Losers left nothing behind: one booking, one timeline.
        assert Booking.objects.filter(slot=slot).count() == 1
        assert list(winner.events.values_list("kind", flat=True)) == ["requested", "confirmed"]


def test_patients_racing_for_overlapping_slots_of_different_lengths_leave_one_booking():
    """15-minute slots; services of 15 to 60 minutes placed so every visit ends at 10:00.

    Each pair of requests overlaps, but no two use the same slot: only the doctor lock
    and the exclusion constraint stand between them and a double booking.
    """
    world = build_world(slot_count=0)
    lengths = [15, 30, 45, 60]
    services_by_length = {
        m: ServiceOfferingFactory(clinic=world.clinic, duration_minutes=m) for m in lengths
    }
    world.doctor.services.add(*services_by_length.values())
    patients = PatientFactory.create_batch(RACERS)
    base = world.clinic.created_at.replace(hour=8, minute=0, second=0, microsecond=0)
    for round_ in range(ROUNDS):
        start = base + timedelta(days=3 + round_)
        slots = world.add_slots(8, start=start, minutes=15)  # 08:00 .. 10:00
        # slot 4 is 09:00: 60 min; 09:15: 45; 09:30: 30; 09:45: 15. All end at 10:00.
        choices = [(slots[4 + i], services_by_length[60 - 15 * i]) for i in range(4)]
        calls = [
            lambda p=p, c=choices[i % 4]: services.booking_create(
                patient=p, slot_id=c[0].pk, service_id=c[1].pk
            )
            for i, p in enumerate(patients)
        ]
        outcomes = race(calls)
        assert summary(outcomes) == {"won": 1, "SlotUnavailable": RACERS - 1}
        day = Booking.objects.occupying().filter(
            doctor=world.doctor, starts_at__gte=start, starts_at__lt=start + timedelta(hours=3)
        )
        assert day.count() == 1
        assert day.get().ends_at == start + timedelta(hours=2)


def test_buffers_count_in_a_race_between_adjacent_visits():
    """A 30-minute visit with 15 minutes of clean-up after blocks the next slot's start."""
    world = build_world(slot_count=0)
    with_cleanup = ServiceOfferingFactory(
        clinic=world.clinic, duration_minutes=30, buffer_after_minutes=15
    )
    world.doctor.services.add(with_cleanup)
    patients = PatientFactory.create_batch(RACERS)
    base = world.clinic.created_at.replace(hour=8, minute=0, second=0, microsecond=0)
    for round_ in range(ROUNDS):
        first, second = world.add_slots(
            2, start=base + timedelta(days=3 + round_, hours=1), minutes=30
        )
        calls = [
            lambda p=p, s=(first if i % 2 else second): services.booking_create(
                patient=p, slot_id=s.pk, service_id=with_cleanup.pk
            )
            for i, p in enumerate(patients)
        ]
        outcomes = race(calls)
        assert summary(outcomes) == {"won": 1, "SlotUnavailable": RACERS - 1}
        assert Booking.objects.occupying().filter(slot__in=[first, second]).count() == 1


def test_reschedules_into_a_contested_slot_move_exactly_one_booking():
    world = build_world(slot_count=0)
    patients = PatientFactory.create_batch(RACERS)
    base = world.clinic.created_at.replace(hour=6, minute=0, second=0, microsecond=0)
    for round_ in range(ROUNDS):
        day = base + timedelta(days=3 + round_)
        own = world.add_slots(RACERS, start=day, minutes=15)
        contested = world.add_slots(1, start=day + timedelta(hours=10))[0]
        short = ServiceOfferingFactory(clinic=world.clinic, duration_minutes=15)
        world.doctor.services.add(short)
        bookings = [
            services.booking_create(patient=p, slot_id=s.pk, service_id=short.pk)
            for p, s in zip(patients, own, strict=True)
        ]
        before = {b.pk: (b.slot_id, b.starts_at) for b in bookings}
        outcomes = race(
            [
                lambda b=b, c=contested: services.booking_reschedule(
                    booking=b, new_slot_id=c.pk, actor=b.patient
                )
                for b in bookings
            ]
        )
        assert summary(outcomes) == {"won": 1, "SlotUnavailable": RACERS - 1}
        moved = next(o.value for o in outcomes if o.value is not None)
        assert Booking.objects.occupying().filter(slot=contested).get().pk == moved.pk
        for booking in Booking.objects.filter(pk__in=before).exclude(pk=moved.pk):
            assert (booking.slot_id, booking.starts_at) == before[booking.pk]
            assert booking.is_upcoming_status
        # The old slot of the moved booking is free again.
        assert not Booking.objects.occupying().filter(slot_id=before[moved.pk][0]).exists()


def test_one_patient_booking_overlapping_times_with_many_doctors_gets_one_booking():
    """Each request locks a different doctor; the patient lock keeps the patient whole."""
    world = build_world(slot_count=0)
    patient = PatientFactory()
    doctors = [world.doctor] + [DoctorFactory(services=[world.service]) for _ in range(9)]
    base = world.clinic.created_at.replace(hour=9, minute=0, second=0, microsecond=0)
    for round_ in range(ROUNDS):
        start = base + timedelta(days=3 + round_)
        slots = [
            SlotFactory(doctor=d, clinic=world.clinic, starts_at=start + timedelta(minutes=2 * i))
            for i, d in enumerate(doctors)
        ]
        outcomes = race(
            [
                lambda s=s: services.booking_create(
                    patient=patient, slot_id=s.pk, service_id=world.service.pk
                )
                for s in slots
            ]
        )
        assert summary(outcomes) == {"won": 1, "PatientDoubleBooked": len(doctors) - 1}
        assert (
            Booking.objects.occupying()
            .filter(patient=patient, starts_at__gte=start, starts_at__lt=start + timedelta(hours=2))
            .count()
            == 1
        )


def test_new_bookings_and_reschedules_racing_for_one_slot_leave_one_booking():
    world = build_world(slot_count=0)
    movers = PatientFactory.create_batch(RACERS // 2)
    bookers = PatientFactory.create_batch(RACERS // 2)
    base = world.clinic.created_at.replace(hour=7, minute=0, second=0, microsecond=0)
    for round_ in range(ROUNDS):
        day = base + timedelta(days=3 + round_)
        own = world.add_slots(len(movers), start=day, minutes=30)
        contested = world.add_slots(1, start=day + timedelta(hours=11))[0]
        bookings = [
            services.booking_create(patient=p, slot_id=s.pk, service_id=world.service.pk)
            for p, s in zip(movers, own, strict=True)
        ]
        calls = [
            lambda b=b, c=contested: services.booking_reschedule(
                booking=b, new_slot_id=c.pk, actor=b.patient
            )
            for b in bookings
        ] + [
            lambda p=p, c=contested: services.booking_create(
                patient=p, slot_id=c.pk, service_id=world.service.pk
            )
            for p in bookers
        ]
        outcomes = race(calls)
        assert summary(outcomes) == {"won": 1, "SlotUnavailable": RACERS - 1}
        assert Booking.objects.occupying().filter(slot=contested).count() == 1


def test_a_held_doctor_lock_answers_busy_instead_of_waiting_forever(settings):
    """Lock timeouts become the retryable BookingBusy, never a 500 or a hang."""
    settings.BOOKING_LOCK_TIMEOUT_MS = 200
    world = build_world(slot_count=1)
    patient = PatientFactory()

    with doctor_lock_held_elsewhere(world.doctor.pk), pytest.raises(BookingBusy) as error:
        services.booking_create(
            patient=patient, slot_id=world.slots[0].pk, service_id=world.service.pk
        )

    assert error.value.retryable
    assert not Booking.objects.exists()


def test_a_taken_slot_is_refused_without_waiting_for_the_doctors_lock(settings):
    """The losers of a race answer at once: a booked slot is refused before any lock, so
    a long transaction holding the doctor (the winner, a slot generation) delays nobody
    who asks for a time that is already gone."""
    settings.BOOKING_LOCK_TIMEOUT_MS = 300
    world = build_world(slot_count=2)
    taken = services.booking_create(
        patient=PatientFactory(), slot_id=world.slots[0].pk, service_id=world.service.pk
    )
    with doctor_lock_held_elsewhere(world.doctor.pk):
        # Through the lock this would wait out the timeout and answer BookingBusy.
        with pytest.raises(SlotUnavailable):
            services.booking_create(
                patient=PatientFactory(), slot_id=taken.slot_id, service_id=world.service.pk
            )
        # A free slot still queues for the lock: the check under it stays the authority.
        with pytest.raises(BookingBusy):
            services.booking_create(
                patient=PatientFactory(), slot_id=world.slots[1].pk, service_id=world.service.pk
            )

    assert Booking.objects.count() == 1


def test_a_longer_visit_reaching_a_booked_time_is_refused_without_the_lock(settings):
    """The early refusal counts the visit's length and buffers: an hour from the first slot
    would run into the booking on the second (on PostgreSQL; elsewhere only the start)."""
    settings.BOOKING_LOCK_TIMEOUT_MS = 300
    world = build_world(slot_count=3)
    hour = ServiceOfferingFactory(clinic=world.clinic, duration_minutes=60)
    world.doctor.services.add(hour)
    services.booking_create(
        patient=PatientFactory(), slot_id=world.slots[1].pk, service_id=world.service.pk
    )

    with doctor_lock_held_elsewhere(world.doctor.pk), pytest.raises(SlotUnavailable):
        services.booking_create(
            patient=PatientFactory(), slot_id=world.slots[0].pk, service_id=hour.pk
        )
    # The half-hour visit there does fit: it is not refused early, it waits for the lock.
    with doctor_lock_held_elsewhere(world.doctor.pk), pytest.raises(BookingBusy):
        services.booking_create(
            patient=PatientFactory(), slot_id=world.slots[0].pk, service_id=world.service.pk
        )
