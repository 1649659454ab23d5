"""Reviewing a visit in the browser: from the completed appointment to the form, a field
error, the thank-you, and the doctor's page with the new average. Screenshots of each
state at phone and laptop widths, and an axe pass on the form and the doctor's page."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from apps.reviews.models import Review
from tests.accounts.factories import PatientFactory
from tests.e2e.helpers import axe_violations, detail_path, shoot
from tests.portal.conftest import verify
from tests.reviews.factories import ReviewFactory, completed_booking

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_patient_reviews_a_completed_visit_and_the_doctor_page_shows_the_new_average(
    new_context, world
):
    for rating in (5, 4, 4):
        ReviewFactory(
            booking=completed_booking(doctor=world.doctor, clinic=world.clinic),
            rating=rating,
            comment="Clear and kind." if rating == 5 else "",
        )
    patient = verify(PatientFactory())
    visit = completed_booking(doctor=world.doctor, clinic=world.clinic, patient=patient)
    page = new_context(user=patient).new_page()
    doctor_page = reverse("portal:doctor-detail", args=[world.doctor.slug])

    page.goto(doctor_page)
    expect(page.get_by_text("4.3 out of 5, 3 reviews").first).to_be_visible()

    # From the appointment to the form.
    page.goto(detail_path(visit.reference))
    page.get_by_role("link", name="Review this visit").click()
    expect(page.get_by_role("heading", name="Review your visit")).to_be_visible()
    shoot(page, "review-form")
    assert axe_violations(page, "review-form") == []

    # Sending without stars: the error summary, the form kept as typed.
    page.get_by_label("Tell other patients about your visit").fill("Explained the results well.")
    page.get_by_role("button", name="Send review").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("Tell other patients about your visit")).to_have_value(
        "Explained the results well."
    )
    shoot(page, "review-form-error")
    assert not Review.objects.filter(booking=visit).exists()

    page.get_by_label("2 stars: poor").check()
    page.get_by_label("Manner").select_option("5")
    page.get_by_role("button", name="Send review").click()
    expect(page.get_by_role("heading", name="Thank you for your review")).to_be_focused()
    shoot(page, "review-thanks")
    assert Review.objects.get(booking=visit).rating == 2

    # The doctor's page has the new average: (5 + 4 + 4 + 2) / 4 = 3.75.
    page.get_by_role("link", name=f"See the reviews of {world.doctor.display_name}").click()
    expect(page.get_by_text("3.8 out of 5, 4 reviews").first).to_be_visible()
    expect(page.get_by_text("Explained the results well.")).to_be_visible()
    shoot(page, "doctor-reviews")
    assert axe_violations(page, "doctor-reviews") == []

    # Search results carry the rating; the clinic page has its own summary.
    page.goto(reverse("portal:home") + "?sort=rating")
    expect(page.locator(".doctor-card").first).to_contain_text("3.8 out of 5, 4 reviews")
    shoot(page, "search-ratings")
    page.goto(reverse("portal:clinic-detail", args=[world.clinic.slug]))
    expect(page.get_by_role("heading", name="What patients say")).to_be_visible()
    shoot(page, "clinic-reviews")
