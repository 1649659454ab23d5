"""The receptionist's day in the browser: check a patient in on the day sheet (in place, no
reload), book a walk-in for someone new, and find them on the sheet."""

import pytest
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.bookings.models import Booking, BookingStatus
from tests.accounts.factories import PatientFactory
from tests.bookings.factories import BookingFactory
from tests.conftest import on_visit_day
from tests.e2e.helpers import axe_violations, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_receptionist_checks_a_patient_in_and_books_a_walk_in(new_context, world, receptionist):
    anna = PatientFactory(first_name="Anna", last_name="Schmidt")
    booking = BookingFactory(slot=world.slots[0], service=world.service, patient=anna)
    later = BookingFactory(slot=world.slots[3], service=world.service)
    local = booking.starts_at.astimezone(world.clinic.tz)

    with on_visit_day(booking):
        page = new_context(user=receptionist).new_page()
        page.goto("/")
        page.get_by_role("link", name="Day sheet").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Day sheet")
        expect(page.get_by_role("heading", name=world.doctor.display_name)).to_be_visible()
        row = page.locator(f"#booking-{booking.reference}")
        expect(row).to_contain_text("Anna Schmidt")
        expect(row).to_contain_text(local.strftime("%H:%M"))
        expect(row).to_contain_text("Confirmed")
        assert axe_violations(page, "day-sheet") == []
        shoot(page, "day-sheet")

        # On paper: the appointments without the buttons and navigation.
        page.emulate_media(media="print")
        expect(row.get_by_role("button", name="Check in")).to_be_hidden()
        expect(page.get_by_role("button", name="Print")).to_be_hidden()
        expect(page.get_by_role("navigation", name="Back office pages")).to_be_hidden()
        expect(row).to_contain_text("Anna Schmidt")
        shoot(page, "day-sheet-print")
        page.emulate_media(media="screen")

        # Check in: the row changes in place; the page is not reloaded.
        page.evaluate("window.__sameDocument = true")
        row.get_by_role("button", name="Check in").click()
        expect(row).to_contain_text("Checked in")
        expect(row.locator(".sheet-row__time")).to_be_focused()
        expect(page.locator("#live-region")).to_contain_text("Anna Schmidt")
        assert page.evaluate("window.__sameDocument") is True
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CHECKED_IN

        # Cancelling needs a reason; the form opens in the row and says what is missing.
        other = page.locator(f"#booking-{later.reference}")
        other.get_by_role("link", name="Cancel").click()
        reason = other.get_by_label("Reason for cancelling")
        expect(reason).to_be_focused()
        other.get_by_role("button", name="Cancel appointment").click()
        expect(other).to_contain_text("Enter the reason for cancelling")
        shoot(page, "day-sheet-cancel-error")
        other.get_by_role("link", name="Keep it").click()
        expect(other.get_by_role("link", name="Cancel")).to_be_visible()
        later.refresh_from_db()
        assert later.status == BookingStatus.CONFIRMED

        # A walk-in: someone new, with a phone number and no e-mail address.
        page.get_by_role("link", name="Book a walk-in").first.click()
        expect(page.get_by_role("heading", name="Book for a patient")).to_be_visible()
        page.get_by_label("Find a patient").fill("Brandt")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_text("0 patients found")).to_be_visible()
        shoot(page, "walk-in-search")
        page.get_by_label("First name").fill("Ida")
        page.get_by_label("Last name").fill("Brandt")
        page.get_by_label("Phone number").fill("030 555 1212")
        page.get_by_role("button", name="Add patient").click()

        expect(page.get_by_text("Ida Brandt is now a patient.")).to_be_visible()
        expect(page.get_by_role("heading", name="Time")).to_be_visible()
        first_free = page.locator('input[name="slot"]').first
        expect(first_free).to_be_checked()
        assert axe_violations(page, "walk-in") == []
        shoot(page, "walk-in-time")
        page.get_by_role("button", name="Book for Ida Brandt").click()

        expect(page.get_by_role("heading", name="Appointment booked")).to_be_visible()
        ida = User.objects.get(last_name="Brandt")
        walk_in = Booking.objects.get(patient=ida)
        assert walk_in.created_by == receptionist
        expect(page.get_by_text(walk_in.reference)).to_be_visible()
        shoot(page, "walk-in-done")
        page.get_by_role("link", name="Back to the day sheet").click()

        expect(page.locator(f"#booking-{walk_in.reference}")).to_contain_text("Ida Brandt")
        expect(page.locator(f"#booking-{walk_in.reference}")).to_contain_text("Confirmed")


def test_an_empty_day_says_so(new_context, world, receptionist):
    page = new_context(user=receptionist).new_page()
    page.goto(f"/staff/day/?clinic={world.clinic.pk}&date=2020-01-06")
    expect(page.get_by_role("heading", name="No appointments on this day")).to_be_visible()
    shoot(page, "day-sheet-empty")
