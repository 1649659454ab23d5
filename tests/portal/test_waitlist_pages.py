"""Waitlist pages: join from the doctor's page, My waitlist, and answering an offer."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.bookings import waitlist
from apps.bookings.models import BookingStatus, OfferStatus, WaitlistEntry, WaitlistStatus
from tests.accounts.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _today(world):
    return timezone.now().astimezone(world.clinic.tz).date()


def _join_data(world, **overrides):
    data = {
        "service": world.service.pk,
        "date_from": _today(world).isoformat(),
        "date_to": (_today(world) + timedelta(days=7)).isoformat(),
        "only_this_doctor": "on",
    }
    return {**data, **overrides}


def _offer_for(world, patient):
    waitlist.waitlist_join(
        patient=patient,
        service_id=world.service.pk,
        date_from=_today(world),
        date_to=_today(world) + timedelta(days=7),
    )
    return waitlist.waitlist_offer_for_slot(slot_id=world.slots[0].pk)


def test_the_doctor_page_offers_the_waitlist_form(
    world, patient_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        response = patient_client.get(reverse("portal:doctor-detail", args=[world.doctor.slug]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Join the waitlist" in content
    assert reverse("portal:waitlist-join", args=[world.doctor.slug]) in content


def test_visitors_are_asked_to_sign_in_to_join(world, client):
    response = client.get(reverse("portal:doctor-detail", args=[world.doctor.slug]))
    assert "Sign in to join the waitlist" in response.content.decode()
    join = client.get(reverse("portal:waitlist-join", args=[world.doctor.slug]))
    assert join.status_code == 302


def test_joining_puts_the_patient_in_line_and_says_so(world, patient_client, verified_patient):
    url = reverse("portal:waitlist-join", args=[world.doctor.slug])
    response = patient_client.post(url, _join_data(world), follow=True)
    assert response.status_code == 200
    assert "You are on the waitlist" in response.content.decode()
    entry = WaitlistEntry.objects.get()
    assert (entry.patient, entry.doctor, entry.status) == (
        verified_patient,
        world.doctor,
        WaitlistStatus.WAITING,
    )


def test_joining_with_htmx_answers_the_fragment_and_a_trigger(world, patient_client):
    url = reverse("portal:waitlist-join", args=[world.doctor.slug])
    response = patient_client.post(
        url, _join_data(world, only_this_doctor=""), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "waitlist-changed"
    assert "<html" not in response.content.decode()
    assert WaitlistEntry.objects.get().doctor is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"date_from": "2001-01-01"}, "The first date cannot be in the past."),
        ({"date_to": "2001-01-01"}, "The last date must be on or after the first."),
        ({"service": "999999"}, "Select a valid choice."),
        ({"date_to": "not a date"}, "Enter a valid date."),
    ],
)
def test_a_bad_join_shows_field_errors_and_writes_nothing(
    world, patient_client, overrides, message
):
    url = reverse("portal:waitlist-join", args=[world.doctor.slug])
    response = patient_client.post(url, _join_data(world, **overrides))
    assert response.status_code == 422
    content = response.content.decode()
    assert "There is a problem" in content
    assert message.replace("'", "&#x27;") in content
    assert not WaitlistEntry.objects.exists()


def test_my_appointments_lists_the_waitlist_with_its_offer(
    world, patient_client, verified_patient, django_assert_max_num_queries
):
    offer = _offer_for(world, verified_patient)
    waitlist.waitlist_join(
        patient=verified_patient,
        service_id=world.service.pk,
        doctor_id=world.doctor.pk,
        date_from=_today(world),
        date_to=_today(world) + timedelta(days=3),
    )
    with django_assert_max_num_queries(20):
        response = patient_client.get(reverse("portal:appointment-list"))
    content = response.content.decode()
    assert "My waitlist" in content
    assert content.count("Leave waitlist") == 2
    assert reverse("portal:waitlist-offer", args=[offer.pk]) in content


def test_leaving_the_waitlist(world, patient_client, verified_patient):
    entry = waitlist.waitlist_join(
        patient=verified_patient,
        service_id=world.service.pk,
        date_from=_today(world),
        date_to=_today(world) + timedelta(days=3),
    )
    response = patient_client.post(reverse("portal:waitlist-leave", args=[entry.pk]))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.LEFT


def test_the_offer_page_shows_the_time_the_deadline_and_both_answers(
    world, patient_client, verified_patient, django_assert_max_num_queries
):
    offer = _offer_for(world, verified_patient)
    with django_assert_max_num_queries(12):
        response = patient_client.get(reverse("portal:waitlist-offer", args=[offer.pk]))
    content = response.content.decode()
    assert "A time is free for you" in content
    assert "We hold this time for you until" in content
    assert reverse("portal:waitlist-offer-accept", args=[offer.pk]) in content
    assert "csrfmiddlewaretoken" in content
    # The held booking's page points to the offer.
    detail = patient_client.get(
        reverse("portal:appointment-detail", args=[offer.booking.reference])
    )
    assert reverse("portal:waitlist-offer", args=[offer.pk]) in detail.content.decode()


def test_accepting_books_the_time(world, patient_client, verified_patient):
    offer = _offer_for(world, verified_patient)
    response = patient_client.post(reverse("portal:waitlist-offer-accept", args=[offer.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "portal:appointment-detail", args=[offer.booking.reference]
    )
    offer.booking.refresh_from_db()
    assert offer.booking.status == BookingStatus.CONFIRMED


def test_accepting_at_a_prepaid_clinic_leads_to_payment(world, patient_client, verified_patient):
    world.clinic.requires_prepayment = True
    world.clinic.save()
    offer = _offer_for(world, verified_patient)
    response = patient_client.post(reverse("portal:waitlist-offer-accept", args=[offer.pk]))
    assert response["Location"] == reverse("payments:checkout", args=[offer.booking.reference])


def test_declining_passes_the_time_on(world, patient_client, verified_patient):
    offer = _offer_for(world, verified_patient)
    response = patient_client.post(reverse("portal:waitlist-offer-decline", args=[offer.pk]))
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED


def test_a_lapsed_offer_cannot_be_accepted(world, patient_client, verified_patient):
    offer = _offer_for(world, verified_patient)
    waitlist.waitlist_offer_decline(offer_id=offer.pk, patient=verified_patient)
    response = patient_client.post(reverse("portal:waitlist-offer-accept", args=[offer.pk]))
    assert response.status_code == 409
    assert "This offer has ended" in response.content.decode()


def test_other_patients_entries_and_offers_are_not_found(world, patient_client):
    someone = PatientFactory()
    offer = _offer_for(world, someone)
    assert patient_client.get(reverse("portal:waitlist-offer", args=[offer.pk])).status_code == 404
    for name in ("portal:waitlist-offer-accept", "portal:waitlist-offer-decline"):
        assert patient_client.post(reverse(name, args=[offer.pk])).status_code == 404
    leave = patient_client.post(reverse("portal:waitlist-leave", args=[offer.entry_id]))
    assert leave.status_code == 404
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN
    assert offer.entry.status == WaitlistStatus.OFFERED


def test_answers_need_a_post(world, patient_client, verified_patient):
    offer = _offer_for(world, verified_patient)
    url = reverse("portal:waitlist-offer-accept", args=[offer.pk])
    assert patient_client.get(url).status_code == 405
