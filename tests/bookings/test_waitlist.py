"""The waitlist: join, offers on freed times (FIFO), accept, decline, lapse and cascade."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.bookings import services, waitlist
from apps.bookings.exceptions import (
    AlreadyOnWaitlist,
    OfferNotOpen,
    WaitlistDatesInvalid,
    WaitlistRangeTooLong,
    WaitlistServiceNotOffered,
)
from apps.bookings.models import (
    Booking,
    BookingStatus,
    OfferStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from apps.outbox.models import OutboxEvent
from apps.payments import services as payment_services
from apps.payments.models import Payment
from tests.accounts.factories import PatientFactory
from tests.clinics.factories import ServiceOfferingFactory
from tests.doctors.factories import DoctorFactory
from tests.timeslots.factories import SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _offers_inline(monkeypatch):
    """Freed times are offered by a Celery task after commit; here, right away."""
    monkeypatch.setattr(
        waitlist, "_enqueue_offers", lambda ids: waitlist.waitlist_offer_for_slots(slot_ids=ids)
    )


def _day(world, days=0):
    return world.slots[0].starts_at.astimezone(world.clinic.tz).date() + timedelta(days=days)


def join(world, patient, **kwargs):
    kwargs.setdefault("date_from", _day(world))
    kwargs.setdefault("date_to", _day(world, 1))
    return waitlist.waitlist_join(patient=patient, service_id=world.service.pk, **kwargs)


def fill(world):
    """Every slot booked by someone: the world has no free time."""
    return [
        services.booking_create(patient=PatientFactory(), slot_id=s.pk, service_id=world.service.pk)
        for s in world.slots
    ]


def cancel(booking, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking=booking, actor=booking.patient)


# --- Join ------------------------------------------------------------------------------------


def test_join_puts_the_patient_in_line(world, patient):
    entry = join(world, patient, doctor_id=world.doctor.pk)
    assert entry.status == WaitlistStatus.WAITING
    assert (entry.clinic, entry.service, entry.doctor) == (
        world.clinic,
        world.service,
        world.doctor,
    )


@pytest.mark.parametrize(
    ("days_from", "days_to", "error", "field"),
    [
        (-5, 1, WaitlistDatesInvalid, "date_from"),
        (1, 0, WaitlistDatesInvalid, "date_to"),
        (0, 90, WaitlistRangeTooLong, "date_to"),
    ],
)
def test_join_refuses_bad_ranges_and_writes_nothing(
    world, patient, days_from, days_to, error, field
):
    today = timezone.now().astimezone(world.clinic.tz).date()
    with pytest.raises(error) as raised:
        waitlist.waitlist_join(
            patient=patient,
            service_id=world.service.pk,
            date_from=today + timedelta(days=days_from),
            date_to=today + timedelta(days=days_to),
        )
    assert raised.value.field == field
    assert not WaitlistEntry.objects.exists()


def test_join_refuses_a_service_the_doctor_does_not_offer(world, other_world, patient):
    with pytest.raises(WaitlistServiceNotOffered) as raised:
        join(world, patient, doctor_id=other_world.doctor.pk)
    assert raised.value.field == "service"
    assert not WaitlistEntry.objects.exists()


def test_join_twice_for_the_same_service_and_doctor_is_refused(world, patient):
    join(world, patient)
    with pytest.raises(AlreadyOnWaitlist):
        join(world, patient, date_to=_day(world, 3))
    assert WaitlistEntry.objects.count() == 1


def test_leave_ends_the_entry_and_declines_its_open_offer(
    world, patient, django_capture_on_commit_callbacks
):
    bookings = fill(world)
    entry = join(world, patient)
    cancel(bookings[0], django_capture_on_commit_callbacks)
    offer = WaitlistOffer.objects.get(entry=entry)
    with django_capture_on_commit_callbacks(execute=True):
        waitlist.waitlist_leave(entry_id=entry.pk, patient=patient)
    entry.refresh_from_db()
    offer.refresh_from_db()
    assert entry.status == WaitlistStatus.LEFT
    assert offer.status == OfferStatus.DECLINED
    assert Booking.objects.get(pk=offer.booking_id).status == BookingStatus.EXPIRED


def test_leave_refuses_another_patients_entry(world, patient, other_patient):
    entry = join(world, patient)
    with pytest.raises(waitlist.WaitlistEntryNotActive):
        waitlist.waitlist_leave(entry_id=entry.pk, patient=other_patient)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING


# --- Offers ----------------------------------------------------------------------------------


def test_a_cancellation_offers_the_time_to_the_first_in_line(
    world, django_capture_on_commit_callbacks
):
    bookings = fill(world)
    first, second = PatientFactory(), PatientFactory()
    join(world, first)
    join(world, second)

    cancel(bookings[2], django_capture_on_commit_callbacks)

    offer = WaitlistOffer.objects.get()
    assert offer.entry.patient == first
    assert offer.status == OfferStatus.OPEN
    assert offer.slot == world.slots[2]
    hold = offer.booking
    assert hold.status == BookingStatus.HELD
    assert hold.hold_expires_at == offer.expires_at
    assert list(hold.events.values_list("kind", flat=True)) == ["requested", "offered"]
    assert offer.entry.status == WaitlistStatus.OFFERED
    made = OutboxEvent.objects.get(kind="waitlist.offer_made")
    assert made.dedupe_key == f"waitlist-offer-{offer.pk}-made"
    assert made.payload["booking"] == hold.pk


def test_the_offer_lasts_the_configured_minutes(
    world, settings, django_capture_on_commit_callbacks
):
    settings.WAITLIST_OFFER_MINUTES = 45
    bookings = fill(world)
    join(world, PatientFactory())
    with time_machine.travel(timezone.now(), tick=False):
        cancel(bookings[0], django_capture_on_commit_callbacks)
        assert WaitlistOffer.objects.get().expires_at == timezone.now() + timedelta(minutes=45)


def test_an_entry_for_other_days_gets_no_offer(world, django_capture_on_commit_callbacks):
    bookings = fill(world)
    join(world, PatientFactory(), date_from=_day(world, 3), date_to=_day(world, 4))
    cancel(bookings[0], django_capture_on_commit_callbacks)
    assert not WaitlistOffer.objects.exists()
    assert not Booking.objects.occupying().filter(slot=world.slots[0]).exists()


def test_accept_confirms_when_the_clinic_is_paid_at_the_visit(
    world, django_capture_on_commit_callbacks
):
    bookings = fill(world)
    patient = PatientFactory()
    entry = join(world, patient)
    cancel(bookings[0], django_capture_on_commit_callbacks)
    offer = WaitlistOffer.objects.get()

    booking = payment_services.waitlist_offer_accept(offer_id=offer.pk, patient=patient)

    assert booking.status == BookingStatus.CONFIRMED
    offer.refresh_from_db()
    entry.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
    assert entry.status == WaitlistStatus.BOOKED
    assert not Payment.objects.exists()
    # A second click is harmless.
    again = payment_services.waitlist_offer_accept(offer_id=offer.pk, patient=patient)
    assert again.pk == booking.pk


def test_accept_leads_to_payment_when_the_clinic_takes_payment_first(
    world, settings, django_capture_on_commit_callbacks
):
    world.clinic.requires_prepayment = True
    world.clinic.save()
    bookings = [
        services.booking_create(patient=PatientFactory(), slot_id=s.pk, service_id=world.service.pk)
        for s in world.slots
    ]
    patient = PatientFactory()
    join(world, patient)
    cancel(bookings[0], django_capture_on_commit_callbacks)
    offer = WaitlistOffer.objects.get()

    with time_machine.travel(timezone.now(), tick=False):
        booking = payment_services.waitlist_offer_accept(offer_id=offer.pk, patient=patient)
        booking.refresh_from_db()
        assert booking.status == BookingStatus.HELD
        assert booking.hold_expires_at >= timezone.now() + timedelta(
            minutes=settings.BOOKING_HOLD_MINUTES
        )
    payment = Payment.objects.get(booking=booking)
    assert payment.amount_minor == booking.price_total_minor
    payment_services.waitlist_offer_accept(offer_id=offer.pk, patient=patient)
    assert Payment.objects.filter(booking=booking).count() == 1


def test_another_patient_cannot_accept_or_decline_an_offer(
    world, other_patient, django_capture_on_commit_callbacks
):
    bookings = fill(world)
    join(world, PatientFactory())
    cancel(bookings[0], django_capture_on_commit_callbacks)
    offer = WaitlistOffer.objects.get()
    with pytest.raises(OfferNotOpen):
        waitlist.waitlist_offer_accept(offer_id=offer.pk, patient=other_patient)
    with pytest.raises(OfferNotOpen):
        waitlist.waitlist_offer_decline(offer_id=offer.pk, patient=other_patient)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN


def test_a_lapsed_offer_goes_to_the_next_in_line(world, django_capture_on_commit_callbacks):
    bookings = fill(world)
    first, second, third = PatientFactory(), PatientFactory(), PatientFactory()
    first_entry = join(world, first)
    join(world, second)
    join(world, third)
    cancel(bookings[0], django_capture_on_commit_callbacks)
    offer = WaitlistOffer.objects.get()
    assert offer.entry.patient == first

    with time_machine.travel(offer.expires_at + timedelta(seconds=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.booking_expire_holds() == 1
        with pytest.raises(OfferNotOpen):
            waitlist.waitlist_offer_accept(offer_id=offer.pk, patient=first)

    offer.refresh_from_db()
    first_entry.refresh_from_db()
    assert offer.status == OfferStatus.LAPSED
    assert offer.booking.status == BookingStatus.EXPIRED
    # Back in line, but never offered the same time twice: the next person gets it.
    assert first_entry.status == WaitlistStatus.WAITING
    assert OutboxEvent.objects.filter(
        kind="waitlist.offer_expired", dedupe_key=f"waitlist-offer-{offer.pk}-expired"
    ).exists()
    following = WaitlistOffer.objects.get(status=OfferStatus.OPEN)
    assert following.entry.patient == second
    assert following.slot == world.slots[0]
    assert Booking.objects.occupying().filter(slot=world.slots[0]).get() == following.booking

    # "No thanks" from the second: the third gets it at once.
    with django_capture_on_commit_callbacks(execute=True):
        waitlist.waitlist_offer_decline(offer_id=following.pk, patient=second)
    following.refresh_from_db()
    assert following.status == OfferStatus.DECLINED
    assert WaitlistOffer.objects.get(status=OfferStatus.OPEN).entry.patient == third


def test_a_patient_busy_at_the_freed_time_is_passed_over(world, django_capture_on_commit_callbacks):
    bookings = fill(world)
    busy, free = PatientFactory(), PatientFactory()
    elsewhere = SlotFactory(
        doctor=DoctorFactory(services=[world.service]),
        clinic=world.clinic,
        starts_at=world.slots[1].starts_at,
    )
    services.booking_create(patient=busy, slot_id=elsewhere.pk, service_id=world.service.pk)
    join(world, busy)
    join(world, free)
    cancel(bookings[1], django_capture_on_commit_callbacks)
    assert WaitlistOffer.objects.get().entry.patient == free


def test_a_service_too_long_for_the_gap_is_passed_over_for_a_shorter_one(
    world, django_capture_on_commit_callbacks
):
    bookings = fill(world)
    long = ServiceOfferingFactory(clinic=world.clinic, duration_minutes=60)
    world.doctor.services.add(long)
    waitlist.waitlist_join(
        patient=PatientFactory(),
        service_id=long.pk,
        date_from=_day(world),
        date_to=_day(world, 1),
    )
    short_patient = PatientFactory()
    join(world, short_patient)
    cancel(bookings[3], django_capture_on_commit_callbacks)
    assert WaitlistOffer.objects.get().entry.patient == short_patient


def test_the_sweep_offers_new_free_times_and_ends_past_entries(world, patient):
    fill(world)
    entry = join(world, patient)
    assert waitlist.waitlist_offer_sweep() == 0
    world.add_slots(2)  # e.g. generated from a new schedule
    assert waitlist.waitlist_offer_sweep() == 1
    assert waitlist.waitlist_offer_sweep() == 0  # one entry, one open offer
    offer = WaitlistOffer.objects.get()
    assert offer.entry == entry
    assert offer.slot == world.slots[-2]

    stale = join(world, PatientFactory())
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        waitlist.waitlist_offer_sweep()
    stale.refresh_from_db()
    assert stale.status == WaitlistStatus.EXPIRED
