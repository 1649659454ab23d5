"""Booking with the keyboard alone: skip link, day tabs, slot chips, confirm."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from apps.bookings.models import Booking, BookingStatus
from tests.accounts.factories import PatientFactory
from tests.portal.conftest import verify

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

#: More Tab presses than any of these pages has stops before the one wanted.
MAX_TABS = 40


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user would."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} never got the focus in {MAX_TABS} Tab presses")


def test_a_keyboard_user_picks_a_day_and_a_time_and_books(new_context, world):
    patient = verify(PatientFactory())
    next_day = world.slots[0].starts_at + timedelta(days=1)
    later = world.add_slots(3, start=next_day)
    later_date = later[0].starts_at.astimezone(world.clinic.tz).date()
    page = new_context(user=patient).new_page()
    page.goto(f"/doctors/{world.doctor.slug}/")

    # The skip link comes first and takes the focus past the header.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # A day tab swaps the day in place (htmx) and the focus lands on the new day's heading.
    day_tab = page.locator(f'.day-tab[href*="day={later_date:%Y-%m-%d}"]')
    tab_to(page, day_tab)
    page.keyboard.press("Enter")
    heading = page.locator("#day-heading")
    expect(heading).to_be_focused()
    expect(heading).to_have_text(f"{later_date:%A} {later_date.day} {later_date:%B}")
    expect(day_tab).to_have_attribute("aria-current", "date")
    expect(page.locator("#live-region")).to_contain_text("3 free times")

    # The next Tab stop is that day's first time.
    page.keyboard.press("Tab")
    first_chip = page.locator("#slot-list .slot-chip").first
    expect(first_chip).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Check and confirm your appointment")).to_be_visible()
    confirm = page.get_by_role("button", name="Confirm booking")
    tab_to(page, confirm)
    page.keyboard.press("Enter")

    expect(page.get_by_text("Your appointment is booked.")).to_be_visible()
    booking = Booking.objects.get(patient=patient)
    assert (booking.slot_id, booking.status) == (later[0].pk, BookingStatus.CONFIRMED)
    expect(page).to_have_url(re.compile(rf"/appointments/{booking.reference}/$"))
