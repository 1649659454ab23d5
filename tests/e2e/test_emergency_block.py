"""A clinic manager blocks a doctor's afternoon, moves one appointment and cancels the other."""

from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from apps.bookings import services
from apps.bookings.models import Booking, BookingStatus
from apps.timeslots.models import SlotStatus
from tests.accounts.factories import PatientFactory
from tests.e2e.helpers import axe_violations, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wall(value, clinic) -> str:
    return value.astimezone(clinic.tz).strftime("%Y-%m-%dT%H:%M")


def test_a_manager_blocks_an_afternoon_moves_one_booking_and_cancels_the_other(
    new_context, world, clinic_manager
):
    afternoon = world.slots[0].starts_at + timedelta(hours=5)
    slots = world.add_slots(4, start=afternoon)  # the afternoon to block
    patients = [PatientFactory(first_name="Ada", last_name="Lovelace"), PatientFactory()]
    moving, cancelling = (
        services.booking_create(patient=p, slot_id=s.pk, service_id=world.service.pk)
        for p, s in zip(patients, (slots[0], slots[2]), strict=True)
    )
    page = new_context(user=clinic_manager).new_page()

    page.goto(reverse("backoffice:emergency-block"))
    expect(page.get_by_role("heading", name="Emergency block")).to_be_visible()
    shoot(page, "emergency-block-form")
    page.get_by_label("Doctor", exact=True).select_option(str(world.doctor.pk))
    page.get_by_label("From (Berlin time)").fill(wall(slots[0].starts_at, world.clinic))
    page.get_by_label("Until (Berlin time)").fill(wall(slots[3].ends_at, world.clinic))
    page.get_by_label("Reason", exact=True).fill("Doctor called in sick")
    page.get_by_role("button", name="Show what happens").click()

    preview = page.locator("#emergency")
    expect(preview.get_by_role("heading", name="Check what the block does")).to_be_visible()
    expect(preview).to_contain_text("2 appointments affected")
    expect(preview).to_contain_text("2 appointments will be moved.")
    expect(page.locator("#emergency-loading")).to_be_hidden()  # not mid-fade for axe
    assert not axe_violations(page, "emergency-block-preview")
    shoot(page, "emergency-block-preview")

    other = patients[1].get_full_name() or patients[1].email
    page.get_by_role("group", name=f"What to do with {other}'s appointment").get_by_label(
        "Cancel"
    ).check()
    expect(preview).to_contain_text("1 appointment will be cancelled.")
    expect(preview).to_contain_text("1 appointment will be moved.")
    page.get_by_role("button", name="Block and notify patients").click()

    result = page.locator("#emergency")
    expect(result.get_by_role("heading", name="The block is in place")).to_be_visible()
    expect(result).to_contain_text("Moved")
    expect(result).to_contain_text("Cancelled")
    expect(result).to_contain_text("Ada Lovelace")
    shoot(page, "emergency-block-result")

    moved, cancelled = Booking.objects.get(pk=moving.pk), Booking.objects.get(pk=cancelling.pk)
    assert moved.status == BookingStatus.CONFIRMED
    assert moved.starts_at == world.slots[0].starts_at  # the first free time that day
    assert cancelled.status == BookingStatus.CANCELLED
    assert world.doctor.slots.filter(status=SlotStatus.BLOCKED).count() == 4


def test_mistakes_in_the_form_are_listed_and_linked(new_context, world, clinic_manager):
    page = new_context(user=clinic_manager).new_page()

    page.goto(reverse("backoffice:emergency-block"))
    page.get_by_role("button", name="Show what happens").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter the reason for the block.")
    expect(summary).to_be_focused()
    shoot(page, "emergency-block-errors")
