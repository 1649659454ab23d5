"""Finding a doctor: the result list follows the search box without reloading the page."""

import re

import pytest
from playwright.sync_api import expect

from apps.bookings.models import Booking
from tests.accounts.factories import PatientFactory
from tests.clinics.factories import ClinicFactory, OpeningHoursFactory
from tests.conftest import build_world
from tests.doctors.factories import SpecialtyFactory
from tests.e2e.helpers import book_path, shoot
from tests.portal.conftest import verify

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_searching_updates_the_results_in_place_and_leads_to_a_time(new_context):
    skin = build_world(ClinicFactory(name="Spree Skin Clinic", city="Berlin"))
    skin.doctor.specialties.set([SpecialtyFactory(name="Dermatology", slug="dermatology")])
    heart = build_world(ClinicFactory(name="Alster Heart Centre", city="Hamburg"))
    heart.doctor.specialties.set([SpecialtyFactory(name="Cardiology", slug="cardiology")])
    for weekday in range(5):
        OpeningHoursFactory(clinic=heart.clinic, weekday=weekday)
    page = new_context(user=verify(PatientFactory())).new_page()

    page.goto("/")
    results = page.locator("#results")
    cards = results.locator(".doctor-card")
    expect(cards).to_have_count(2)
    shoot(page, "search")
    # A full page load would lose this; htmx swaps keep it.
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_label("Specialty, service or doctor").fill("derma")

    expect(page).to_have_url(re.compile(r"[?&]q=derma"))
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text(skin.doctor.display_name)
    expect(results).not_to_contain_text(heart.doctor.display_name)

    page.get_by_label("Specialty, service or doctor").fill("")
    page.get_by_label("City or clinic").fill("Hamburg")

    expect(page).to_have_url(re.compile(r"[?&]where=Hamburg"))
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text(heart.doctor.display_name)
    expect(results).not_to_contain_text(skin.doctor.display_name)
    assert page.evaluate("window.stillTheSamePage") is True
    # Leaving the field fires "change" (one more search); let it land before clicking on.
    page.get_by_label("City or clinic").blur()
    expect(page.locator(".htmx-request")).to_have_count(0)

    # The clinic, then the doctor, then a time.
    cards.get_by_role("link", name="Alster Heart Centre").click()
    expect(page.get_by_role("heading", name="Alster Heart Centre", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Doctors")).to_contain_text(heart.doctor.display_name)
    shoot(page, "clinic")
    page.get_by_role("link", name=heart.doctor.display_name, exact=True).click()

    expect(page.get_by_role("heading", name=heart.doctor.display_name, level=1)).to_be_visible()
    chips = page.locator("#slot-picker .slot-chip")
    expect(chips).to_have_count(len(heart.slots))
    shoot(page, "doctor")
    chips.nth(1).click()

    expect(page.get_by_role("heading", name="Check and confirm your appointment")).to_be_visible()
    assert page.url.endswith(book_path(heart.slots[1], heart.service))
    summary = page.locator(".summary")
    expect(summary).to_contain_text(heart.doctor.display_name)
    expect(summary).to_contain_text(
        heart.slots[1].starts_at.astimezone(heart.clinic.tz).strftime("%H:%M")
    )
    assert not Booking.objects.exists()
