"""Reviews over the API: public lists with the summary, a patient's review of their own
completed booking, and every refusal as problem JSON that writes nothing."""

import pytest

from apps.bookings.models import BookingStatus
from apps.reviews.models import BannedWord, DoctorReply, Review, ReviewSettings, ReviewStatus
from tests.api.conftest import assert_problem
from tests.reviews.factories import ReviewFactory, completed_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(world, patient):
    return completed_booking(doctor=world.doctor, clinic=world.clinic, patient=patient)


def url(booking) -> str:
    return f"/api/v1/bookings/{booking.reference}/review/"


def published(world, *ratings, **kwargs):
    return [
        ReviewFactory(
            booking=completed_booking(doctor=world.doctor, clinic=world.clinic), rating=r, **kwargs
        )
        for r in ratings
    ]


# --- Reading -----------------------------------------------------------------------------------


def test_a_doctors_reviews_come_with_the_summary_of_all_of_them(anon, world, other_world):
    first, second, third = published(world, 5, 4, 3)
    ReviewFactory(
        booking=completed_booking(doctor=world.doctor, clinic=world.clinic),
        rating=1,
        status=ReviewStatus.HIDDEN,
    )
    published(other_world, 1)
    DoctorReply.objects.create(review=third, doctor=world.doctor, body="Thank you")

    response = anon.get(f"/api/v1/doctors/{world.doctor.pk}/reviews/", {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [r["id"] for r in body["results"]] == [third.pk, second.pk]
    assert body["results"][0]["reply"]["body"] == "Thank you"
    assert body["summary"] == {
        "average": 4.0,
        "count": 3,
        "distribution": {"5": 1, "4": 1, "3": 1, "2": 0, "1": 0},
    }
    assert "patient" not in body["results"][0]


def test_a_clinics_reviews_and_unknown_ids(anon, world):
    published(world, 2)

    body = anon.get(f"/api/v1/clinics/{world.clinic.pk}/reviews/").json()

    assert (body["count"], body["summary"]["average"]) == (1, 2.0)
    assert_problem(anon.get("/api/v1/clinics/999999/reviews/"), 404, "not-found")
    assert_problem(anon.get("/api/v1/doctors/999999/reviews/"), 404, "not-found")


def test_the_list_needs_the_same_number_of_queries_for_1_or_20_reviews(
    anon, world, django_assert_max_num_queries
):
    for count in (1, 19):
        published(world, *([4] * count))
        with django_assert_max_num_queries(4):
            assert anon.get(f"/api/v1/doctors/{world.doctor.pk}/reviews/").status_code == 200


# --- Writing -----------------------------------------------------------------------------------


def test_a_patient_reviews_their_completed_booking(patient_api, visit):
    response = patient_api.post(
        url(visit), {"rating": 4, "manner": 5, "comment": "Clear."}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["rating"], body["manner"], body["waiting_time"], body["status"]) == (
        4,
        5,
        None,
        "published",
    )
    assert Review.objects.get().booking == visit


def test_with_manual_approval_the_review_is_pending(patient_api, visit):
    ReviewSettings.objects.create(clinic=visit.clinic, requires_manual_approval=True)

    response = patient_api.post(url(visit), {"rating": 3}, format="json")

    assert response.json()["status"] == "pending"


def test_someone_elses_booking_is_not_found(other_api, visit):
    assert_problem(other_api.post(url(visit), {"rating": 5}, format="json"), 404, "not-found")
    assert not Review.objects.exists()


def test_a_booking_not_completed_is_a_conflict_with_its_own_type(patient_api, visit):
    type(visit).objects.filter(pk=visit.pk).update(status=BookingStatus.CONFIRMED)

    response = patient_api.post(url(visit), {"rating": 5}, format="json")

    assert_problem(response, 409, "booking-not-completed")
    assert not Review.objects.exists()


def test_a_second_review_is_a_conflict(patient_api, visit):
    patient_api.post(url(visit), {"rating": 5}, format="json")

    response = patient_api.post(url(visit), {"rating": 1}, format="json")

    assert_problem(response, 409, "already-reviewed")
    assert Review.objects.get().rating == 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 6}, "rating"),
        ({"rating": 0}, "rating"),
        ({"rating": "5"}, "rating"),
        ({}, "rating"),
        ({"rating": 4, "manner": 7}, "manner"),
        ({"rating": 4, "comment": "x" * 2001}, "comment"),
        ({"rating": 4, "comment": "A real QUACK"}, "comment"),
        ({"rating": 4, "colour": "blue"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(patient_api, visit, body, field):
    BannedWord.objects.create(word="quack")

    response = patient_api.post(url(visit), body, format="json")

    problem = assert_problem(response, 400, "invalid-request")
    assert field in problem["errors"]
    assert not Review.objects.exists()


def test_signing_in_is_required(anon, visit):
    assert_problem(anon.post(url(visit), {"rating": 5}, format="json"), 401)


def test_the_schema_documents_the_review_endpoints(anon):
    paths = anon.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]

    assert "get" in paths["/api/v1/doctors/{id}/reviews/"]
    assert "get" in paths["/api/v1/clinics/{id}/reviews/"]
    post = paths["/api/v1/bookings/{reference}/review/"]["post"]
    assert {"201", "400", "404", "409"} <= set(post["responses"])
