"""Waitlist offers under real concurrency: threads with their own PostgreSQL connections.

Several times freed at once, each offered after its commit, while sweeps run beside
them: no entry ever gets two open offers, no slot two holders, and afterwards every
freed time is held for someone in line.
"""

from collections import Counter

import pytest

from apps.bookings import services, waitlist
from apps.bookings.models import Booking, OfferStatus, WaitlistEntry, WaitlistOffer, WaitlistStatus
from tests.accounts.factories import PatientFactory
from tests.concurrency import race
from tests.conftest import build_world

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROUNDS = 3


@pytest.fixture(autouse=True)
def _setup(settings, monkeypatch):
    settings.BOOKING_LOCK_TIMEOUT_MS = 30_000  # about who wins, not tail latency
    # The offer task runs in the thread that committed the freeing change.
    monkeypatch.setattr(
        waitlist, "_enqueue_offers", lambda ids: waitlist.waitlist_offer_for_slots(slot_ids=ids)
    )


def _assert_exclusive():
    open_offers = WaitlistOffer.objects.filter(status=OfferStatus.OPEN)
    per_entry = Counter(open_offers.values_list("entry_id", flat=True))
    assert all(n == 1 for n in per_entry.values()), per_entry
    per_slot = Counter(Booking.objects.occupying().values_list("slot_id", flat=True))
    assert all(n == 1 for n in per_slot.values()), per_slot
    # Each open offer's entry says "offered", and its hold is the slot's only booking.
    for offer in open_offers.select_related("entry", "booking"):
        assert offer.entry.status == WaitlistStatus.OFFERED
        assert offer.booking.slot_id == offer.slot_id
        assert offer.booking.is_upcoming_status


@pytest.mark.parametrize("entries", [3, 8])
def test_times_freed_at_once_beside_parallel_sweeps_give_one_offer_per_entry_and_slot(entries):
    world = build_world(slot_count=6 * ROUNDS)
    holders = [
        services.booking_create(patient=PatientFactory(), slot_id=s.pk, service_id=world.service.pk)
        for s in world.slots
    ]
    day = world.slots[0].starts_at.astimezone(world.clinic.tz).date()
    for _ in range(entries):
        waitlist.waitlist_join(
            patient=PatientFactory(), service_id=world.service.pk, date_from=day, date_to=day
        )
    for round_ in range(ROUNDS):
        freed = holders[6 * round_ : 6 * round_ + 6]
        outcomes = race(
            [lambda b=b: services.booking_cancel(booking=b, actor=b.patient) for b in freed]
            + [lambda: waitlist.waitlist_offer_sweep() or True for _ in range(4)]
        )
        assert not [o.unexpected for o in outcomes if o.unexpected], outcomes
        assert not [o.domain_error for o in outcomes if o.domain_error], outcomes
        _assert_exclusive()

    # Whatever a racer skipped (a locked entry), the next sweep makes up for it.
    waitlist.waitlist_offer_sweep()
    _assert_exclusive()
    waiting = WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).count()
    offered = WaitlistOffer.objects.filter(status=OfferStatus.OPEN).count()
    assert offered == min(entries, 6 * ROUNDS)
    assert waiting == entries - offered


def test_offers_for_one_free_slot_racing_with_sweeps_leave_one_holder():
    world = build_world(slot_count=1)
    day = world.slots[0].starts_at.astimezone(world.clinic.tz).date()
    for _ in range(6):
        waitlist.waitlist_join(
            patient=PatientFactory(), service_id=world.service.pk, date_from=day, date_to=day
        )
    slot_id = world.slots[0].pk
    outcomes = race(
        [lambda: waitlist.waitlist_offer_for_slot(slot_id=slot_id) or True for _ in range(6)]
        + [lambda: waitlist.waitlist_offer_sweep() or True for _ in range(4)]
    )
    assert not [o.unexpected for o in outcomes if o.unexpected], outcomes
    _assert_exclusive()
    offer = WaitlistOffer.objects.get(status=OfferStatus.OPEN)
    assert Booking.objects.get().pk == offer.booking_id
