"""Two patients, two browsers, one time: exactly one gets it, the other is told kindly."""

import re

import pytest
from playwright.sync_api import Page, Route, expect

from apps.bookings.models import Booking
from tests.accounts.factories import PatientFactory
from tests.e2e.helpers import axe_violations, book_path, shoot
from tests.portal.conftest import verify

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TAKEN = "This time was just taken."
ROUNDS = 3


def hold_confirmations_until_both_are_sent(*pages: Page) -> None:
    """Both "Confirm booking" POSTs leave the browsers, wait for each other, then go to
    the server together, so they meet inside the booking service rather than one after
    the other in click order."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        held.append(route)
        if len(held) == len(pages):
            for waiting in held:
                waiting.continue_()
            held.clear()

    for page in pages:
        page.route(re.compile(r"/book/$"), hold)


def outcome(page: Page) -> str:
    """Wait until the page shows a result; "booked" or "taken"."""
    booked = page.get_by_text("Your appointment is booked.")
    taken = page.get_by_role("heading", name=TAKEN)
    expect(booked.or_(taken)).to_be_visible()
    return "booked" if booked.is_visible() else "taken"


def test_two_patients_confirm_the_same_time_at_once_and_only_one_gets_it(new_context, world):
    patients = [verify(PatientFactory()), verify(PatientFactory())]
    pages = [new_context(user=patient).new_page() for patient in patients]
    hold_confirmations_until_both_are_sent(*pages)

    for round_, slot in enumerate(world.slots[0 : 2 * ROUNDS : 2]):
        for page in pages:
            page.goto(book_path(slot, world.service))
            expect(page.get_by_role("button", name="Confirm booking")).to_be_enabled()

        for page in pages:
            page.get_by_role("button", name="Confirm booking").click()
        results = [outcome(page) for page in pages]

        assert sorted(results) == ["booked", "taken"], results
        winner = patients[results.index("booked")]
        loser_page = pages[results.index("taken")]
        (booking,) = Booking.objects.occupying().filter(slot=slot)
        assert booking.patient == winner
        expect(pages[results.index("booked")]).to_have_url(
            re.compile(rf"/appointments/{booking.reference}/$")
        )
        # The loser keeps the summary URL, learns nothing was booked, and gets other times.
        assert loser_page.url.endswith(book_path(slot, world.service))
        expect(loser_page.get_by_role("alert")).to_contain_text("Nothing was booked for you.")
        chips = loser_page.locator("#booking-panel .slot-chip")
        expect(chips.first).to_be_visible()
        hrefs = chips.evaluate_all("chips => chips.map(chip => chip.getAttribute('href'))")
        assert hrefs
        assert not any(f"slot={slot.pk}&" in href for href in hrefs)
        if round_ == 0:
            shoot(loser_page, "booking-taken")
            blocking = axe_violations(loser_page, "booking-taken")
            assert blocking == [], blocking

    assert Booking.objects.occupying().count() == ROUNDS
