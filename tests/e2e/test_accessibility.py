"""axe-core in Chromium on each page of the booking flow: nothing serious or critical.

Milder findings are printed (run with -s to see them) rather than failing the build.
"""

import pytest
from playwright.sync_api import expect

from apps.bookings import services
from tests.accounts.factories import PatientFactory
from tests.e2e.helpers import axe_violations, book_path, detail_path
from tests.portal.conftest import verify

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_booking_flow_has_no_serious_accessibility_problems(new_context, world):
    patient = verify(PatientFactory())
    booking = services.booking_create(
        patient=patient, slot_id=world.slots[0].pk, service_id=world.service.pk
    )
    visitor = new_context().new_page()
    signed_in = new_context(user=patient).new_page()
    blocking: dict[str, list[dict]] = {}

    def check(page, name: str) -> None:
        if found := axe_violations(page, name):
            blocking[name] = found

    visitor.goto("/")
    expect(visitor.locator("#results .doctor-card")).to_have_count(1)
    check(visitor, "search")
    visitor.goto(f"/clinics/{world.clinic.slug}/")
    check(visitor, "clinic")
    visitor.goto(f"/doctors/{world.doctor.slug}/")
    check(visitor, "doctor")
    visitor.goto("/accounts/login/")
    check(visitor, "sign-in")
    visitor.goto("/accounts/signup/")
    check(visitor, "sign-up")
    # A form error: the summary at the top links to the field.
    visitor.goto("/?date=2000-01-01")
    expect(visitor.locator(".error-summary")).to_be_visible()
    check(visitor, "search-error")

    signed_in.goto(book_path(world.slots[2], world.service))
    expect(signed_in.get_by_role("button", name="Confirm booking")).to_be_visible()
    check(signed_in, "booking-summary")
    signed_in.goto("/appointments/")
    check(signed_in, "appointments")
    signed_in.goto(detail_path(booking.reference))
    check(signed_in, "appointment-detail")
    signed_in.get_by_role("link", name="Cancel appointment").click()
    expect(signed_in.get_by_role("alertdialog")).to_be_visible()
    check(signed_in, "cancel-dialog")
    signed_in.goto(f"{detail_path(booking.reference)}reschedule/")
    check(signed_in, "reschedule")

    summary = {
        page: [f"{v['id']} ({v['impact']}): {v['help']}" for v in found]
        for page, found in blocking.items()
    }
    assert not blocking, summary
