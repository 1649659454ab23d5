"""A clinic manager reads the dashboard in the browser: figures for their clinic, a filter
change swapped in place (URL pushed, update announced, focus kept), a bad range explained
beside its field, and a table downloaded as CSV."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.bookings.models import BookingStatus
from tests.dashboard.helpers import Place
from tests.e2e.helpers import axe_violations, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_manager_filters_the_dashboard_and_downloads_a_table(new_context, world, clinic_manager):
    place = Place.of(world)
    today = timezone.localdate()
    for days, status in ((2, BookingStatus.COMPLETED), (3, BookingStatus.NO_SHOW)):
        place.book(place.at(today - timedelta(days=days), 10), status=status)

    page = new_context(user=clinic_manager).new_page()
    page.goto("/")
    page.get_by_role("link", name="Dashboard").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator(".kpi").first).to_contain_text("2")
    expect(page.get_by_role("img", name="Bookings over time")).to_be_visible()
    expect(page.get_by_role("table", name="Bookings over time: the figures")).to_be_visible()
    assert axe_violations(page, "dashboard") == []
    shoot(page, "dashboard")

    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Show by").focus()  # as a keyboard user would, before choosing
    page.get_by_label("Show by").select_option("week")
    expect(page).to_have_url(re.compile(r"granularity=week"))
    expect(page.locator("#live-region")).to_contain_text("Figures updated")
    expect(page.get_by_label("Show by")).to_be_focused()
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_label("To", exact=True).fill("2020-01-01")
    expect(page.locator(".error-summary")).to_contain_text("on or after the start date")
    expect(page.locator("#id_to_error")).to_be_visible()
    expect(page.locator("#dashboard-loading")).to_be_hidden()  # faded out: nothing pending
    assert axe_violations(page, "dashboard-error") == []
    shoot(page, "dashboard-error")

    page.goto("/dashboard/")
    with page.expect_download() as download:
        page.locator("#panel-bookings").get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("clinix-bookings-")
