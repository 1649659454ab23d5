"""Becoming a patient in the browser: sign up, confirm the address from the e-mail, book."""

import re

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.bookings.models import Booking, BookingStatus
from tests.accounts.factories import PASSWORD, VerifiedPatientFactory
from tests.e2e.helpers import book_path, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-long-enough-Passw0rd"


def test_a_visitor_signs_up_confirms_the_email_and_books_the_time_they_chose(
    page, world, mailoutbox
):
    """From a chosen time to a booking, through sign-up and the confirmation e-mail."""
    slot = world.slots[2]
    page.goto(f"/doctors/{world.doctor.slug}/")
    page.locator(f'.slot-chip[href*="slot={slot.pk}&"]').click()

    # Booking needs an account: the sign-in page offers one and remembers the time.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create an account", level=1)).to_be_visible()
    shoot(page, "sign-up")
    page.get_by_label("Email address").fill("lena.vogel@example.test")
    page.get_by_label("First name").fill("Lena")
    page.get_by_label("Last name").fill("Vogel")
    page.get_by_label("Create a password").fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    shoot(page, "check-email")
    user = User.objects.get(email="lena.vogel@example.test")
    assert (user.first_name, user.last_name) == ("Lena", "Vogel")
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["lena.vogel@example.test"]
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mailoutbox[0].body)
    assert link, mailoutbox[0].body

    page.goto(link.group(1))
    page.get_by_role("button", name="Confirm email address").click()

    # Signed in straight away, and sent on to the time chosen before signing up.
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert EmailAddress.objects.get(user=user).verified
    expect(page).to_have_url(re.compile(re.escape(book_path(slot, world.service)) + "$"))
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_text("Your appointment is booked.")).to_be_visible()
    booking = Booking.objects.get(patient=user)
    assert booking.slot_id == slot.pk
    assert booking.status == BookingStatus.CONFIRMED
    expect(page).to_have_url(re.compile(rf"/appointments/{booking.reference}/$"))


def test_a_patient_signs_in_on_the_way_to_booking_and_comes_back_to_the_summary(page, world):
    patient = VerifiedPatientFactory()
    page.goto(book_path(world.slots[0], world.service))

    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    shoot(page, "sign-in")
    page.get_by_label("Email address").fill(patient.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Check and confirm your appointment")).to_be_visible()
    assert page.url.endswith(book_path(world.slots[0], world.service))
    assert not Booking.objects.exists()
