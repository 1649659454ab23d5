"""The demo: doctors have published reviews, the demo patient has a completed visit to
review, and writing that review moves the doctor's average on the doctor's page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.bookings.models import Booking, BookingStatus
from apps.demo.seeding import seed
from apps.doctors.models import Doctor
from apps.reviews import selectors
from apps.reviews.models import DoctorReply, Review, ReviewStatus

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_patient_reviews_a_visit_and_the_doctor_page_shows_the_new_average(client):
    seed()
    assert Review.objects.filter(status=ReviewStatus.PUBLISHED).count() >= 10
    assert Doctor.objects.exclude(reviews__isnull=False).count() == 0
    assert DoctorReply.objects.exists()
    patient_visits = Booking.objects.filter(
        patient__email="patient@clinix.test", status=BookingStatus.COMPLETED
    )
    visit = next(
        b for b in patient_visits if selectors.booking_is_reviewable(b, now=timezone.now())
    )
    before = selectors.rating_summary(doctor_id=visit.doctor_id)
    client.force_login(visit.patient)

    response = client.post(reverse("portal:review-write", args=[visit.reference]), {"rating": 1})

    assert response.status_code == 302
    after = selectors.rating_summary(doctor_id=visit.doctor_id)
    assert after.count == before.count + 1
    expected = (before.average * before.count + 1) / after.count
    assert after.average == pytest.approx(expected)
    page = client.get(reverse("portal:doctor-detail", args=[visit.doctor.slug]))
    # Maria reads German: the page says the new average in her language.
    assert page.context["summary"] == after
    assert f"{after.average_rounded:.1f}".replace(".", ",") in page.content.decode()
    reviews_before = Review.objects.count()
    seed()
    assert Review.objects.count() == reviews_before
