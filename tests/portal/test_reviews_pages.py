"""The review pages: summary and lists on doctor and clinic pages, rating in search
results, the "Review this visit" form with field errors and its thank-you state."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.bookings.models import BookingStatus
from apps.reviews.models import BannedWord, DoctorReply, Review, ReviewSettings, ReviewStatus
from tests.portal.conftest import verify
from tests.reviews.factories import ReviewFactory, completed_booking

pytestmark = pytest.mark.django_db


def reviews(world, *ratings, status=ReviewStatus.PUBLISHED, **kwargs):
    return [
        ReviewFactory(
            booking=completed_booking(doctor=world.doctor, clinic=world.clinic),
            rating=r,
            status=status,
            **kwargs,
        )
        for r in ratings
    ]


@pytest.fixture
def visit(world, verified_patient):
    return completed_booking(doctor=world.doctor, clinic=world.clinic, patient=verified_patient)


def write_url(booking):
    return reverse("portal:review-write", args=[booking.reference])


# --- The doctor's and the clinic's pages ----------------------------------------------------


def test_the_doctor_page_shows_average_count_distribution_and_latest_reviews(client, world):
    reviews(world, 5, 4, comment="Listened carefully.")
    reviews(world, 1, status=ReviewStatus.HIDDEN, comment="Hidden words")

    response = client.get(reverse("portal:doctor-detail", args=[world.doctor.slug]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "4.5 out of 5, 2 reviews" in html
    assert "Listened carefully." in html
    assert "Hidden words" not in html
    summary = response.context["summary"]
    assert summary.distribution == [(5, 1), (4, 1), (3, 0), (2, 0), (1, 0)]


def test_a_doctor_reply_is_shown_under_its_review(client, world):
    review = reviews(world, 3, comment="Long wait.")[0]
    DoctorReply.objects.create(review=review, doctor=world.doctor, body="Sorry, we are hiring.")

    html = client.get(reverse("portal:doctor-detail", args=[world.doctor.slug])).content.decode()

    assert "Sorry, we are hiring." in html
    assert f"Reply from {world.doctor.display_name}" in html


def test_more_reviews_work_as_pages_and_as_htmx_fragments(client, world):
    reviews(world, *([4] * 7))
    url = reverse("portal:doctor-reviews", args=[world.doctor.slug])

    page = client.get(url, {"page": 2})
    fragment = client.get(url, {"page": 2}, headers={"HX-Request": "true"})

    assert page.status_code == 200
    assert "Page 2 of 2" in page.content.decode()
    assert len(page.context["reviews_page"].object_list) == 2
    html = fragment.content.decode()
    assert "<html" not in html
    assert 'id="reviews-more-2"' in html
    assert "data-autofocus" in html
    assert html.count('class="review"') == 2


def test_the_clinic_page_shows_the_clinics_summary_and_reviews(client, world, other_world):
    reviews(world, 2, comment="Cold waiting room.")
    reviews(other_world, 5, comment="Elsewhere")

    response = client.get(reverse("portal:clinic-detail", args=[world.clinic.slug]))

    html = response.content.decode()
    assert "2.0 out of 5, 1 review" in html
    assert "Cold waiting room." in html
    assert "Elsewhere" not in html
    more = client.get(reverse("portal:clinic-reviews", args=[world.clinic.slug]))
    assert more.status_code == 200


def test_search_results_show_rating_and_sort_by_it(client, world, other_world):
    reviews(world, 3, 3)
    reviews(other_world, 5)

    response = client.get(reverse("portal:home"), {"sort": "rating"})

    results = list(response.context["page"].object_list)
    assert [r.doctor for r in results[:2]] == [other_world.doctor, world.doctor]
    html = response.content.decode()
    assert "5.0 out of 5, 1 review" in html
    assert "3.0 out of 5, 2 reviews" in html


@pytest.mark.parametrize("count", [1, 20])
def test_listing_pages_need_a_bounded_number_of_queries(
    client, world, other_world, django_assert_max_num_queries, count
):
    reviews(world, *([4] * count))
    reviews(other_world, *([2] * count))
    for r in Review.objects.all()[:5]:
        DoctorReply.objects.create(review=r, doctor=r.doctor, body="Thanks")

    with django_assert_max_num_queries(12):
        assert (
            client.get(reverse("portal:doctor-detail", args=[world.doctor.slug])).status_code == 200
        )
    with django_assert_max_num_queries(14):
        assert (
            client.get(reverse("portal:clinic-detail", args=[world.clinic.slug])).status_code == 200
        )
    with django_assert_max_num_queries(9):
        assert client.get(reverse("portal:home"), {"sort": "rating"}).status_code == 200
    with django_assert_max_num_queries(5):
        url = reverse("portal:doctor-reviews", args=[world.doctor.slug])
        assert client.get(url).status_code == 200


# --- Writing a review -------------------------------------------------------------------------


def test_a_completed_visit_offers_review_this_visit(patient_client, visit):
    response = patient_client.get(reverse("portal:appointment-detail", args=[visit.reference]))

    assert "Review this visit" in response.content.decode()
    assert write_url(visit) in response.content.decode()


def test_an_upcoming_visit_offers_no_review(patient_client, world, verified_patient):
    booking = completed_booking(doctor=world.doctor, clinic=world.clinic, patient=verified_patient)
    type(booking).objects.filter(pk=booking.pk).update(status=BookingStatus.CONFIRMED)

    response = patient_client.get(reverse("portal:appointment-detail", args=[booking.reference]))
    assert "Review this visit" not in response.content.decode()
    page = patient_client.get(write_url(booking))
    assert "This visit cannot be reviewed" in page.content.decode()
    refused = patient_client.post(write_url(booking), {"rating": 5})
    assert refused.status_code == 409
    assert not Review.objects.exists()


def test_a_patient_reviews_a_visit_and_sees_thanks(patient_client, visit, world):
    response = patient_client.post(
        write_url(visit), {"rating": "4", "manner": "5", "waiting_time": "", "comment": "Good"}
    )

    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.rating, review.manner, review.waiting_time, review.status) == (
        4,
        5,
        None,
        ReviewStatus.PUBLISHED,
    )
    thanks = patient_client.get(response["Location"])
    assert "Thank you for your review" in thanks.content.decode()
    doctor_page = patient_client.get(reverse("portal:doctor-detail", args=[world.doctor.slug]))
    assert "4.0 out of 5, 1 review" in doctor_page.content.decode()


def test_with_manual_approval_the_thanks_say_it_waits(patient_client, visit):
    ReviewSettings.objects.create(clinic=visit.clinic, requires_manual_approval=True)

    response = patient_client.post(
        write_url(visit), {"rating": "2"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "checks new reviews before they are shown" in html
    assert "<html" not in html


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "rating"),
        ({"rating": "6"}, "rating"),
        ({"rating": "0"}, "rating"),
        ({"rating": "five"}, "rating"),
        ({"rating": "4", "manner": "9"}, "manner"),
        ({"rating": "4", "comment": "x" * 2001}, "comment"),
        ({"rating": "4", "comment": "What a QUACK."}, "comment"),
    ],
)
def test_bad_input_gets_field_errors_and_writes_nothing(patient_client, visit, data, field):
    BannedWord.objects.create(word="quack")

    response = patient_client.post(write_url(visit), data, headers={"HX-Request": "true"})

    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert "There is a problem" in response.content.decode()
    assert not Review.objects.exists()
    assert not AuditEntry.objects.filter(action="review.create").exists()


def test_someone_elses_visit_is_not_found(client, visit, other_patient):
    client.force_login(verify(other_patient))

    assert client.get(write_url(visit)).status_code == 404
    assert client.post(write_url(visit), {"rating": 5}).status_code == 404
    assert not Review.objects.exists()


def test_a_second_review_is_not_possible(patient_client, visit):
    patient_client.post(write_url(visit), {"rating": "5"})

    again = patient_client.post(write_url(visit), {"rating": "1"})

    assert again.status_code == 200
    assert "You have reviewed this visit" in again.content.decode()
    assert Review.objects.get().rating == 5


def test_signed_out_visitors_are_sent_to_sign_in(client, visit):
    response = client.get(write_url(visit))

    assert response.status_code == 302
    assert "login" in response["Location"]
