"""A booking's life in the browser: book, find it again, move it, cancel it, export it."""

import re

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from apps.bookings.models import Booking, BookingStatus, EventKind
from tests.accounts.factories import PatientFactory
from tests.e2e.helpers import book_path, detail_path, shoot
from tests.portal.conftest import verify

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def local_hm(slot, clinic) -> str:
    return slot.starts_at.astimezone(clinic.tz).strftime("%H:%M")


def test_book_find_reschedule_cancel_and_export_an_appointment(new_context, world):
    patient = verify(PatientFactory())
    page = new_context(user=patient).new_page()
    first, later = world.slots[0], world.slots[3]

    # Book.
    page.goto(book_path(first, world.service))
    expect(page.get_by_role("heading", name="Check and confirm your appointment")).to_be_visible()
    shoot(page, "booking-summary")
    page.get_by_label("Anything the doctor should know?").fill("Itchy rash on the left arm")
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_text("Your appointment is booked.")).to_be_visible()
    booking = Booking.objects.get(patient=patient)
    assert (booking.slot_id, booking.status) == (first.pk, BookingStatus.CONFIRMED)
    assert booking.patient_notes == "Itchy rash on the left arm"
    expect(page).to_have_url(re.compile(re.escape(detail_path(booking.reference)) + "$"))

    # It is listed under My appointments, and leads back to its page.
    page.get_by_role("link", name="My appointments").first.click()
    upcoming = page.get_by_role("region", name="Upcoming")
    expect(upcoming.locator(".appointment")).to_have_count(1)
    expect(upcoming).to_contain_text(booking.reference)
    expect(upcoming).to_contain_text("Confirmed")
    shoot(page, "appointments")
    upcoming.get_by_role("link", name=re.compile(local_hm(first, world.clinic))).click()
    expect(page.get_by_role("heading", name="What has happened")).to_be_visible()
    shoot(page, "appointment-detail")

    # Move it to a later time.
    page.get_by_role("link", name="Change time").click()
    expect(page.get_by_role("heading", name="Choose a new time")).to_be_visible()
    shoot(page, "reschedule")
    page.locator("#slot-picker .slot-chip", has_text=local_hm(later, world.clinic)).click()
    move = page.locator("#move")
    expect(move.get_by_role("heading", name="Move your appointment?")).to_be_visible()
    expect(move).to_contain_text(local_hm(later, world.clinic))
    move.get_by_role("button", name="Confirm new time").click()

    expect(page.get_by_text("Your appointment has been moved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(local_hm(later, world.clinic))
    expect(page.locator("#timeline")).to_contain_text("Moved to a new time")
    booking.refresh_from_db()
    assert (booking.slot_id, booking.status) == (later.pk, BookingStatus.CONFIRMED)
    assert booking.events.filter(kind=EventKind.RESCHEDULED).count() == 1

    # Cancel: the dialog says what it costs before anything happens.
    page.get_by_role("link", name="Cancel appointment").click()
    dialog = page.get_by_role("alertdialog", name="Cancel this appointment?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Cancel this appointment?")).to_be_focused()
    expect(dialog).to_contain_text("No charge: you have not paid anything online.")
    expect(dialog).to_contain_text("The time becomes free for other patients straight away.")
    expect(page).to_have_url(re.compile(re.escape(detail_path(booking.reference)) + "$"))
    shoot(page, "cancel-dialog")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    dialog.get_by_label("Reason").fill("Feeling better")
    dialog.get_by_role("button", name="Yes, cancel appointment").click()

    expect(page.get_by_text("Your appointment is cancelled.")).to_be_visible()
    expect(page.locator(".badge")).to_have_text("Cancelled")
    expect(page.get_by_role("link", name="Change time")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("Feeling better")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED

    # The calendar file keeps the UID, so calendars update the entry they imported.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    download = download_info.value
    assert download.suggested_filename == f"clinix-{booking.reference}.ics"
    event = Calendar.from_ical(download.path().read_bytes()).walk("VEVENT")[0]
    assert str(event["UID"]) == f"{booking.reference}@clinix"
    assert event.decoded("DTSTART") == later.starts_at
    assert str(event["STATUS"]) == "CANCELLED"
