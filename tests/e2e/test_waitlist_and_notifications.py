"""The waitlist in the browser: join for a full day, get told when a time frees up, take it
from the notification; and an offer that runs out goes on to the next person in line.

No worker runs here: the steps the workers would take (offer the freed time, relay the
outbox, deliver each event) are run in this process, between the browser's steps.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from apps.bookings import services as booking_services
from apps.bookings import waitlist
from apps.bookings.models import (
    Booking,
    BookingStatus,
    OfferStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from apps.notifications import services as notification_services
from apps.notifications.models import Notification
from apps.outbox.models import OutboxEvent
from apps.outbox.services import outbox_relay
from tests.accounts.factories import PatientFactory
from tests.conftest import build_world
from tests.e2e.helpers import axe_violations, detail_path, shoot
from tests.portal.conftest import verify

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def full_day(db):
    """A world whose every slot (all on one day) is booked by patient B."""
    world = build_world(slot_count=4)
    other = verify(PatientFactory())
    world.bookings = [
        booking_services.booking_create(patient=other, slot_id=s.pk, service_id=world.service.pk)
        for s in world.slots
    ]
    world.day = world.slots[0].starts_at.astimezone(world.clinic.tz).date()
    return world


@pytest.fixture
def freed_slots(monkeypatch) -> list[int]:
    """A freed time is handed to a Celery task after commit; collect the slot ids instead,
    for ``offer_freed`` to run what that task would."""
    queued: list[int] = []
    monkeypatch.setattr(waitlist, "_enqueue_offers", queued.extend)
    return queued


def offer_freed(queued: list[int]) -> int:
    """The waitlist_offer_slots task, in this process."""
    slot_ids, queued[:] = list(queued), []
    return waitlist.waitlist_offer_for_slots(slot_ids=slot_ids)


def handle_all() -> None:
    """What the outbox relay and the notification workers do, in this process."""
    outbox_relay(send=lambda event: None)
    for event_id in OutboxEvent.objects.order_by("id").values_list("pk", flat=True):
        notification_services.event_handle(event_id)


def bell(page):
    return page.locator("#notification-bell .bell")


def test_join_the_waitlist_get_told_and_take_the_freed_time(new_context, full_day, freed_slots):
    patient = verify(PatientFactory())
    page = new_context(user=patient).new_page()

    # The join page on its own (the "None of these times?" link leads there) passes axe.
    page.goto(reverse("portal:waitlist-join", args=[full_day.doctor.slug]))
    expect(page.get_by_role("heading", name="Join the waitlist", level=1)).to_be_visible()
    shoot(page, "waitlist-join")
    assert axe_violations(page, "waitlist-join") == []

    # The doctor's day is full: A joins the waitlist for that day from the doctor's page.
    page.goto(reverse("portal:doctor-detail", args=[full_day.doctor.slug]))
    expect(page.get_by_role("link", name="None of these times? Join the waitlist")).to_be_visible()
    shoot(page, "waitlist-doctor-page")
    form = page.locator("#waitlist-form")
    form.get_by_label("From", exact=True).fill(full_day.day.isoformat())
    form.get_by_label("To", exact=True).fill(full_day.day.isoformat())
    expect(form.get_by_label("Only with this doctor")).to_be_checked()
    form.get_by_role("button", name="Join the waitlist").click()

    joined = page.get_by_role("heading", name="You are on the waitlist")
    expect(joined).to_be_visible()
    shoot(page, "waitlist-joined")
    entry = WaitlistEntry.objects.get(patient=patient)
    assert (entry.status, entry.doctor_id) == (WaitlistStatus.WAITING, full_day.doctor.pk)
    assert (entry.date_from, entry.date_to) == (full_day.day, full_day.day)

    # B cancels one; the workers offer the freed time to A and tell A.
    freed = full_day.bookings[1]
    booking_services.booking_cancel(booking=freed, actor=freed.patient)
    assert offer_freed(freed_slots) == 1
    offer = WaitlistOffer.objects.get(entry=entry)
    assert (offer.slot_id, offer.status) == (freed.slot_id, OfferStatus.OPEN)
    handle_all()
    assert Notification.objects.filter(recipient=patient).count() == 1

    # A sees the count on the bell, then the notification.
    page.reload()
    expect(bell(page)).to_have_accessible_name("Notifications, 1 unread")
    expect(bell(page).locator(".bell__count")).to_have_text("1")
    bell(page).click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    item = page.locator(".notification--unread")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("New")
    shoot(page, "notifications-offer")
    assert axe_violations(page, "notifications-offer") == []
    item.get_by_role("button", name=re.compile("^A time is free for you")).click()

    # The offer: what, when, until when; accept it.
    expect(page).to_have_url(
        re.compile(re.escape(reverse("portal:waitlist-offer", args=[offer.pk])) + "$")
    )
    expect(page.get_by_role("heading", name="A time is free for you", level=1)).to_be_visible()
    expect(page.get_by_text("We hold this time for you until")).to_be_visible()
    expect(page.get_by_text("paid at the clinic")).to_be_visible()
    # Opening the notification read it: the bell has nothing new.
    expect(bell(page)).to_have_accessible_name("Notifications")
    expect(bell(page).locator(".bell__count")).to_have_count(0)
    shoot(page, "waitlist-offer")
    assert axe_violations(page, "waitlist-offer") == []
    page.get_by_role("button", name="Accept this time").click()

    expect(page.get_by_text("Your appointment is booked.")).to_be_visible()
    booking = Booking.objects.get(pk=offer.booking_id)
    assert (booking.patient, booking.status) == (patient, BookingStatus.CONFIRMED)
    expect(page).to_have_url(re.compile(re.escape(detail_path(booking.reference)) + "$"))
    expect(page.locator(".badge").first).to_have_text("Confirmed")
    shoot(page, "waitlist-accepted")
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED

    page.get_by_role("link", name="My appointments").first.click()
    upcoming = page.get_by_role("region", name="Upcoming")
    expect(upcoming.locator(".appointment")).to_have_count(1)
    expect(upcoming).to_contain_text(booking.reference)
    expect(upcoming).to_contain_text("Confirmed")
    expect(page.locator("#waitlist")).to_contain_text("You are not on any waitlist")
    shoot(page, "waitlist-booked-appointments")


def test_an_offer_that_runs_out_goes_to_the_next_in_line(new_context, full_day, freed_slots):
    first, second = verify(PatientFactory()), verify(PatientFactory())
    for patient in (first, second):
        waitlist.waitlist_join(
            patient=patient,
            service_id=full_day.service.pk,
            date_from=full_day.day,
            date_to=full_day.day,
        )
    freed = full_day.bookings[0]
    booking_services.booking_cancel(booking=freed, actor=freed.patient)
    offer_freed(freed_slots)
    offer = WaitlistOffer.objects.get()
    assert offer.entry.patient == first
    page = new_context(user=first).new_page()
    page.goto(reverse("portal:waitlist-offer", args=[offer.pk]))
    expect(page.get_by_role("button", name="Accept this time")).to_be_visible()

    # A does not answer in time; the expiry job frees the hold, the time goes on to C.
    past = timezone.now() - timedelta(minutes=1)
    Booking.objects.filter(pk=offer.booking_id).update(hold_expires_at=past)
    WaitlistOffer.objects.filter(pk=offer.pk).update(expires_at=past)
    assert booking_services.booking_expire_holds() == 1
    assert offer_freed(freed_slots) == 1
    handle_all()

    offer.refresh_from_db()
    assert offer.status == OfferStatus.LAPSED
    following = WaitlistOffer.objects.get(status=OfferStatus.OPEN)
    assert (following.entry.patient, following.slot_id) == (second, freed.slot_id)
    assert WaitlistEntry.objects.get(patient=first).status == WaitlistStatus.WAITING

    # A's page was still open: accepting now says it is too late, and keeps nothing.
    page.get_by_role("button", name="Accept this time").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("button", name="Accept this time")).to_have_count(0)
    expect(page.get_by_text("offered to the next person in line")).to_be_visible()
    assert not Booking.objects.occupying().filter(patient=first).exists()
    shoot(page, "waitlist-offer-lapsed")

    # A is told, and the page says the same after a reload.
    page.reload()
    expect(page.get_by_text("Time ran out")).to_be_visible()
    expect(bell(page)).to_have_accessible_name(re.compile(r"^Notifications, \d+ unread$"))
    bell(page).click()
    released = page.locator(".notification--unread").filter(
        has_text="You stay on the waitlist; we will tell you when another time frees up."
    )
    expect(released).to_have_count(1)
    expect(released).to_contain_text("The time held for you on")
    shoot(page, "notifications-offer-lapsed")
    page.goto(reverse("portal:appointment-list"))
    shoot(page, "waitlist-lapsed-appointments")
    assert Notification.objects.filter(recipient=second, kind="waitlist.offer_made").count() == 1


def test_a_lapsed_offer_tells_the_patient_once(full_day, freed_slots):
    patient = verify(PatientFactory())
    waitlist.waitlist_join(
        patient=patient,
        service_id=full_day.service.pk,
        date_from=full_day.day,
        date_to=full_day.day,
    )
    freed = full_day.bookings[0]
    booking_services.booking_cancel(booking=freed, actor=freed.patient)
    offer_freed(freed_slots)
    offer = WaitlistOffer.objects.get()
    handle_all()
    Booking.objects.filter(pk=offer.booking_id).update(
        hold_expires_at=timezone.now() - timedelta(minutes=1)
    )
    booking_services.booking_expire_holds()
    handle_all()

    kinds = list(Notification.objects.filter(recipient=patient).values_list("kind", flat=True))
    assert sorted(kinds) == ["waitlist.offer_expired", "waitlist.offer_made"]
