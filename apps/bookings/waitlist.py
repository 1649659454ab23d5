"""The waitlist: patients queue for a time; a freed time is held for the first in line.

An offer is a held booking (``booking_create(hold_until=...)``) plus a WaitlistOffer row.
Making one is a single transaction per attempt (``_offer``):

1. The entry row is locked with SKIP LOCKED and must still be WAITING, so two sweeps, or
   a sweep and a freed-slot job, never work on one entry at once (the one that finds it
   locked moves on to the next entry or slot instead of waiting).
2. ``booking_create`` takes the doctor's lock, then the patient's, runs the validation
   chain and inserts the hold: the booking constraints make "one slot, one holder" a
   database fact, whoever else is booking or offering that time.
3. The offer row is written and the entry goes WAITING → OFFERED by compare-and-set; the
   partial unique constraints (one open offer per entry, one per slot) back that up.
   Anything failing rolls the hold back with it.

Lock order: entry → doctor → patient. Ending an offer (lapse, decline, cancel) runs in
the hold's own transaction and locks the booking, then the offer, then the entry, which
an offer maker only ever holds while it is WAITING (never with an open offer), so the
two paths cannot wait on each other in a cycle.

Triggers: a freed time (cancelled, expired, payment failed) is offered after its
transaction commits (a Celery task; the time is only free once committed), and a
periodic sweep matches waiting entries with any bookable time, e.g. newly generated
slots, and catches up on a task that was lost.
"""

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.bookings import services
from apps.bookings.exceptions import (
    AlreadyOnWaitlist,
    BookingBusy,
    BookingError,
    OfferNotOpen,
    OutsideBookingWindow,
    PatientDoubleBooked,
    SlotTooSoon,
    SlotUnavailable,
    WaitlistDatesInvalid,
    WaitlistEntryNotActive,
    WaitlistRangeTooLong,
    WaitlistServiceNotOffered,
)
from apps.bookings.models import (
    ACTIVE_WAITLIST_STATUSES,
    Booking,
    BookingStatus,
    EventKind,
    OfferStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from apps.bookings.selectors import slot_list_available
from apps.clinics.models import ServiceOffering
from apps.doctors.models import Doctor
from apps.outbox.services import event_record
from apps.timeslots.models import Slot

logger = logging.getLogger(__name__)

#: How many entries (for a freed slot) or slots (for an entry) one run tries before
#: leaving the rest to the next sweep.
MAX_TRIES = 10

#: Booking events after which the booking's time is free again.
_FREEING = {EventKind.CANCELLED, EventKind.EXPIRED, EventKind.PAYMENT_FAILED}


# --- Join and leave -----------------------------------------------------------------------------


def waitlist_join(
    *, patient, service_id: int, date_from, date_to, doctor_id: int | None = None, now=None
) -> WaitlistEntry:
    """Put ``patient`` in line for ``service_id`` (with ``doctor_id``, or any doctor
    offering it at its clinic) on a day in [date_from, date_to], clinic dates.

    Raises WaitlistServiceNotOffered, WaitlistDatesInvalid, WaitlistRangeTooLong or
    AlreadyOnWaitlist (one active entry per patient, service and doctor); nothing is
    written then. Free times in the range are offered by the next sweep.
    """
    now = now or timezone.now()
    service = ServiceOffering.objects.active().select_related("clinic").filter(pk=service_id)
    service = service.first()
    if service is None:
        raise WaitlistServiceNotOffered()
    doctors = Doctor.objects.active().filter(services=service)
    if doctor_id is not None:
        doctors = doctors.filter(pk=doctor_id)
    if not doctors.exists():
        raise WaitlistServiceNotOffered()
    clinic = service.clinic
    today = now.astimezone(clinic.tz).date()
    if date_from < today:
        raise WaitlistDatesInvalid(_("The first date cannot be in the past."), field="date_from")
    if date_to < date_from:
        raise WaitlistDatesInvalid(_("The last date must be on or after the first."))
    if (date_to - date_from).days + 1 > settings.WAITLIST_MAX_DAYS:
        raise WaitlistRangeTooLong(
            WaitlistRangeTooLong.message % {"days": settings.WAITLIST_MAX_DAYS}
        )
    if date_to > today + timedelta(days=clinic.max_advance_days):
        raise WaitlistDatesInvalid(
            _("This clinic takes bookings up to %(days)s days ahead: choose an earlier date.")
            % {"days": clinic.max_advance_days}
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                entry = WaitlistEntry.objects.create(
                    patient=patient,
                    clinic=clinic,
                    service=service,
                    doctor_id=doctor_id,
                    date_from=date_from,
                    date_to=date_to,
                    created_at=now,
                )
        except IntegrityError as exc:
            raise AlreadyOnWaitlist() from exc
        audit_record(
            actor=patient,
            action="waitlist.join",
            target=entry,
            changes={"range": [None, f"{date_from.isoformat()}..{date_to.isoformat()}"]},
        )
    return entry


def waitlist_leave(*, entry_id: int, patient) -> WaitlistEntry:
    """Take ``patient`` off the line; an open offer is declined (its time goes on to the
    next person). Raises WaitlistEntryNotActive when the entry is not the patient's or no
    longer active."""
    now = timezone.now()
    with transaction.atomic():
        entry = WaitlistEntry.objects.filter(
            pk=entry_id, patient=patient, status__in=ACTIVE_WAITLIST_STATUSES
        ).first()
        if entry is None:
            raise WaitlistEntryNotActive()
        offer = entry.offers.filter(status=OfferStatus.OPEN).first()
        if offer is not None:
            # Booking → offer → entry, the order of every path that ends an offer.
            _end_offer(offer.pk, status=OfferStatus.DECLINED, now=now)
        # After the decline the entry row is ours (updated above) until commit: no sweep
        # can offer it a time in between.
        left = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistStatus.WAITING).update(
            status=WaitlistStatus.LEFT, ended_at=now
        )
        if not left:
            raise WaitlistEntryNotActive()
        audit_record(
            actor=patient,
            action="waitlist.leave",
            target=entry,
            changes={"status": [entry.status, WaitlistStatus.LEFT]},
        )
    entry.status, entry.ended_at = WaitlistStatus.LEFT, now
    return entry


# --- Offers -------------------------------------------------------------------------------------


def waitlist_offer_for_slot(*, slot_id: int, now: datetime | None = None) -> WaitlistOffer | None:
    """Offer a (freed) slot to the first waiting entry it suits. Returns the offer or None.

    Entries are tried in queue order; one whose patient is busy then, or whose service
    does not fit in the free time, is passed over for this slot. Safe to run twice or in
    parallel with anything: see the module docstring.
    """
    now = now or timezone.now()
    slot = Slot.objects.select_related("clinic").filter(pk=slot_id).first()
    if slot is None or not slot.is_open:
        return None
    for entry_id in _queue_for_slot(slot):
        try:
            offer = _offer(entry_id, slot, now=now)
        except SlotUnavailable:
            if _slot_taken(slot):
                return None
            continue  # this entry's service does not fit here; a shorter one may
        except (SlotTooSoon, OutsideBookingWindow, BookingBusy):
            return None
        except BookingError:
            continue  # the patient has another appointment then, ...
        if offer is not None:
            return offer
    return None


def waitlist_offer_for_slots(*, slot_ids: list[int], now: datetime | None = None) -> int:
    """``waitlist_offer_for_slot`` for each slot, in time order. Returns offers made."""
    ordered = Slot.objects.filter(pk__in=slot_ids).order_by("starts_at", "pk")
    return sum(
        1
        for slot_id in ordered.values_list("pk", flat=True)
        if waitlist_offer_for_slot(slot_id=slot_id, now=now)
    )


def waitlist_offer_sweep(*, now: datetime | None = None, limit: int = 2000) -> int:
    """Match waiting entries, in queue order, with bookable times; end entries whose range
    has passed. Idempotent and safe in parallel (every 5 minutes, from beat). Returns how
    many offers were made."""
    now = now or timezone.now()
    _end_past_entries(now)
    made = 0
    waiting = (
        WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING)
        .select_related("clinic", "service")
        .order_by("created_at", "id")[:limit]
    )
    for entry in waiting:
        for slot in _slots_for_entry(entry, now)[:MAX_TRIES]:
            try:
                offer = _offer(entry.pk, slot, now=now)
            except (SlotUnavailable, PatientDoubleBooked, SlotTooSoon, OutsideBookingWindow):
                continue
            except BookingError:
                break  # busy, or the service is no longer offered: the next run decides
            if offer is not None:
                made += 1
            break  # an offer, or the entry is another worker's or no longer waiting
    return made


def waitlist_offer_accept(*, offer_id: int, patient) -> WaitlistOffer:
    """Take the offered time: held → confirmed when the clinic is paid at the visit; for
    clinics paid up front the hold stays and gets the usual time to pay (the payments app
    opens the payment). Locks: the booking, then the offer.

    Accepting twice returns the accepted offer. Raises OfferNotOpen when the offer ran
    out, was declined, or is not the patient's; BookingBusy on lock contention.
    """
    with services._contention_as_busy(), transaction.atomic():
        services._set_lock_timeout()
        booking_id = (
            WaitlistOffer.objects.filter(pk=offer_id, entry__patient=patient)
            .values_list("booking_id", flat=True)
            .first()
        )
        if booking_id is None:
            raise OfferNotOpen()
        booking = Booking.objects.select_for_update().select_related("clinic").get(pk=booking_id)
        offer = WaitlistOffer.objects.select_for_update().get(pk=offer_id)
        now = timezone.now()
        if offer.status == OfferStatus.ACCEPTED:
            offer.booking = booking
            return offer
        if offer.status != OfferStatus.OPEN or booking.status != BookingStatus.HELD:
            raise OfferNotOpen()
        if offer.expires_at <= now:
            raise OfferNotOpen()  # the expiry job has not run yet; the deadline holds
        if booking.clinic.requires_prepayment and booking.price_total_minor > 0:
            booking.hold_expires_at = max(
                booking.hold_expires_at, now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES)
            )
            booking.save(update_fields=["hold_expires_at", "updated_at"])
            services._record(
                booking,
                EventKind.HELD,
                patient,
                at=now,
                expires_at=booking.hold_expires_at.isoformat(),
            )
        else:
            booking = services._transition(
                booking,
                actor=patient,
                sources=(BookingStatus.HELD,),
                target=BookingStatus.CONFIRMED,
                kind=EventKind.CONFIRMED,
                waitlist_offer=offer.pk,
            )
        offer.status, offer.answered_at = OfferStatus.ACCEPTED, now
        offer.save(update_fields=["status", "answered_at"])
        WaitlistEntry.objects.filter(pk=offer.entry_id, status=WaitlistStatus.OFFERED).update(
            status=WaitlistStatus.BOOKED, ended_at=now
        )
        _event(offer, "accepted", booking)
        audit_record(
            actor=patient,
            action="waitlist.offer_accept",
            target=booking,
            changes={"offer": [OfferStatus.OPEN, OfferStatus.ACCEPTED]},
        )
    offer.booking = booking
    return offer


def waitlist_offer_decline(*, offer_id: int, patient) -> WaitlistOffer:
    """ "No thanks": the hold ends now and the time goes to the next in line; the patient
    stays on the waitlist for other times. Raises OfferNotOpen."""
    offer = WaitlistOffer.objects.filter(pk=offer_id, entry__patient=patient).first()
    if offer is None:
        raise OfferNotOpen()
    with services._contention_as_busy(), transaction.atomic():
        if not _end_offer(offer.pk, status=OfferStatus.DECLINED, now=timezone.now()):
            raise OfferNotOpen()
    offer.refresh_from_db()
    return offer


# --- Answers to booking changes (connected in receivers.py) -------------------------------------


def on_booking_changed(sender, booking, previous, event, **kwargs) -> None:
    """In the transaction of a booking change that frees its time: end the open offer
    it was held for (lapsed when the hold ran out), and, once committed, offer the freed
    slots to the waitlist."""
    if event.kind not in _FREEING:
        return
    offer = WaitlistOffer.objects.select_for_update().filter(booking=booking).first()
    if offer is not None and offer.status == OfferStatus.OPEN:
        lapsed = event.kind == EventKind.EXPIRED
        _close_offer(offer, OfferStatus.LAPSED if lapsed else OfferStatus.DECLINED, event.at)
    # Most freed times have nobody waiting at their clinic: no task for those. An entry
    # joining meanwhile is matched by the next sweep.
    if not WaitlistEntry.objects.filter(
        status=WaitlistStatus.WAITING, clinic_id=booking.clinic_id
    ).exists():
        return
    slot_ids = list(
        Slot.objects.open()
        .filter(doctor_id=booking.doctor_id, clinic_id=booking.clinic_id)
        .overlapping(booking.blocked_from, booking.blocked_until)
        .values_list("pk", flat=True)
    )
    if slot_ids:
        transaction.on_commit(lambda: _enqueue_offers(slot_ids))


def _enqueue_offers(slot_ids: list[int]) -> None:
    from apps.bookings import tasks

    try:
        tasks.waitlist_offer_slots.delay(slot_ids)
    except Exception:  # noqa: BLE001 - the periodic sweep offers them; never fail a request
        logger.warning("Could not enqueue waitlist offers; the sweep will.", exc_info=True)


# --- Helpers ------------------------------------------------------------------------------------


def _offer(entry_id: int, slot: Slot, *, now: datetime) -> WaitlistOffer | None:
    """Hold ``slot`` for the entry and offer it, in one transaction. None when the entry
    is another worker's or no longer waiting; raises the booking errors of the hold."""
    with transaction.atomic():
        entry = (
            WaitlistEntry.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patient")
            .filter(pk=entry_id, status=WaitlistStatus.WAITING)
            .first()
        )
        if entry is None:
            return None
        clinic = slot.clinic
        expires_at = min(
            now + timedelta(minutes=settings.WAITLIST_OFFER_MINUTES),
            slot.starts_at - timedelta(minutes=clinic.min_notice_minutes),
        )
        booking = services.booking_create(
            patient=entry.patient,
            slot_id=slot.pk,
            service_id=entry.service_id,
            hold_until=expires_at,
        )
        try:
            with transaction.atomic():
                offer = WaitlistOffer.objects.create(
                    entry=entry, booking=booking, slot=slot, expires_at=expires_at, created_at=now
                )
        except IntegrityError as exc:
            raise SlotUnavailable(slot_id=slot.pk) from exc
        moved = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistStatus.WAITING).update(
            status=WaitlistStatus.OFFERED
        )
        if not moved:  # cannot happen under the row lock; never leave a hold without owner
            raise SlotUnavailable(slot_id=slot.pk)
        _event(offer, "made", booking)
    return offer


def _end_offer(offer_id: int, *, status: str, now: datetime) -> bool:
    """End an open offer now and free its hold. Locks the booking, then the offer.
    Returns False when the offer was no longer open."""
    booking_id = WaitlistOffer.objects.filter(pk=offer_id).values_list("booking_id", flat=True)
    booking = Booking.objects.select_for_update().get(pk=booking_id.get())
    offer = WaitlistOffer.objects.select_for_update().get(pk=offer_id)
    if offer.status != OfferStatus.OPEN:
        return False
    _close_offer(offer, status, now)
    # The hold's release tells payments (nothing to pay yet) and, through
    # ``on_booking_changed``, offers the time to the next in line after commit.
    services.booking_release_hold(
        booking=booking, failed=False, reason=str(_("The time was declined."))
    )
    return True


def _close_offer(offer: WaitlistOffer, status: str, now: datetime) -> None:
    offer.status, offer.answered_at = status, now
    offer.save(update_fields=["status", "answered_at"])
    # Back in line, at the same place; the same time is never offered to it again.
    WaitlistEntry.objects.filter(pk=offer.entry_id, status=WaitlistStatus.OFFERED).update(
        status=WaitlistStatus.WAITING
    )
    _event(offer, "expired" if status == OfferStatus.LAPSED else status, offer.booking)


def _event(offer: WaitlistOffer, what: str, booking: Booking) -> None:
    event_record(
        kind=f"waitlist.offer_{what}",
        dedupe_key=f"waitlist-offer-{offer.pk}-{what}",
        payload={
            "offer": offer.pk,
            "entry": offer.entry_id,
            "booking": booking.pk,
            "reference": booking.reference,
            "patient": booking.patient_id,
            "expires_at": offer.expires_at.isoformat(),
        },
    )


def _queue_for_slot(slot: Slot) -> list[int]:
    """Waiting entries ``slot`` suits, first in line first, never one offered it before."""
    day = slot.starts_at.astimezone(slot.clinic.tz).date()
    return list(
        WaitlistEntry.objects.filter(
            status=WaitlistStatus.WAITING,
            clinic_id=slot.clinic_id,
            service__is_active=True,
            service__doctors=slot.doctor_id,
            date_from__lte=day,
            date_to__gte=day,
        )
        .filter(Q(doctor__isnull=True) | Q(doctor_id=slot.doctor_id))
        .exclude(offers__slot_id=slot.pk)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:MAX_TRIES]
    )


def _slots_for_entry(entry: WaitlistEntry, now: datetime) -> list[Slot]:
    """Bookable slots in the entry's range (two queries), minus those offered before."""
    tz = entry.clinic.tz
    start = max(datetime.combine(entry.date_from, time.min, tzinfo=tz), now)
    end = datetime.combine(entry.date_to + timedelta(days=1), time.min, tzinfo=tz)
    if start >= end:
        return []
    slots = Slot.objects.filter(clinic_id=entry.clinic_id, doctor__is_active=True)
    if entry.doctor_id:
        slots = slots.filter(doctor_id=entry.doctor_id)
    free = slot_list_available(
        slots, service=entry.service, window_start=start, window_end=end, now=now
    )
    offered = set(entry.offers.values_list("slot_id", flat=True))
    return [s for s in free if s.pk not in offered]


def _slot_taken(slot: Slot) -> bool:
    return (
        Booking.objects.occupying()
        .filter(doctor_id=slot.doctor_id)
        .blocking_between(slot.starts_at, slot.ends_at)
        .exists()
    )


def _end_past_entries(now: datetime) -> None:
    """Waiting entries whose last day has passed in their clinic's time zone end."""
    zones = (
        WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING)
        .order_by()
        .values_list("clinic__timezone", flat=True)
        .distinct()
    )
    for zone in list(zones):
        today = now.astimezone(ZoneInfo(zone)).date()
        WaitlistEntry.objects.filter(
            status=WaitlistStatus.WAITING, clinic__timezone=zone, date_to__lt=today
        ).update(status=WaitlistStatus.EXPIRED, ended_at=now)
