import pytest

from tests.api.conftest import assert_problem
from tests.clinics.factories import ClinicFactory, ServiceOfferingFactory
from tests.doctors.factories import DoctorFactory, SpecialtyFactory, SpokenLanguageFactory

pytestmark = pytest.mark.django_db


def ids(response) -> list:
    return [item["id"] for item in response.json()["results"]]


def test_the_catalogue_is_public_and_paginated(anon, world):
    response = anon.get("/api/v1/clinics/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert {"count", "next", "previous", "results"} == set(body)
    assert body["results"][0]["timezone"] == "Europe/Berlin"


def test_inactive_clinics_and_services_are_not_listed(anon, world):
    ClinicFactory(is_active=False)
    ServiceOfferingFactory(clinic=world.clinic, is_active=False)

    assert ids(anon.get("/api/v1/clinics/")) == [world.clinic.pk]
    assert ids(anon.get("/api/v1/services/")) == [world.service.pk]


def test_clinics_filter_by_city(anon, world):
    munich = ClinicFactory(city="Munich")

    assert ids(anon.get("/api/v1/clinics/", {"city": "munich"})) == [munich.pk]


def test_services_show_price_in_minor_units_with_currency(anon, world):
    service = anon.get(f"/api/v1/services/{world.service.pk}/").json()

    assert service["price"] == {"amount_minor": 4500, "currency": "EUR", "formatted": "€45.00"}
    assert service["duration_minutes"] == 30


def test_services_filter_by_clinic_doctor_and_category(anon, world, other_world):
    assert ids(anon.get("/api/v1/services/", {"clinic": world.clinic.pk})) == [world.service.pk]
    assert ids(anon.get("/api/v1/services/", {"doctor": other_world.doctor.pk})) == [
        other_world.service.pk
    ]
    assert len(ids(anon.get("/api/v1/services/", {"category": "consultation"}))) == 2


def test_doctors_filter_by_city_specialty_service_and_language(anon, world, other_world):
    other_world.clinic.city = "Munich"
    other_world.clinic.save()
    skin = SpecialtyFactory(slug="dermatology", name="Dermatology")
    world.doctor.specialties.set([skin])
    other_world.doctor.languages.set([SpokenLanguageFactory(code="tr", name="Turkish")])

    assert ids(anon.get("/api/v1/doctors/", {"city": "munich"})) == [other_world.doctor.pk]
    assert ids(anon.get("/api/v1/doctors/", {"specialty": "dermatology"})) == [world.doctor.pk]
    assert ids(anon.get("/api/v1/doctors/", {"service": world.service.pk})) == [world.doctor.pk]
    assert ids(anon.get("/api/v1/doctors/", {"language": "tr"})) == [other_world.doctor.pk]
    assert ids(anon.get("/api/v1/doctors/", {"clinic": other_world.clinic.pk})) == [
        other_world.doctor.pk
    ]


def test_a_doctor_lists_where_they_work_and_what_they_offer(anon, world):
    doctor = anon.get(f"/api/v1/doctors/{world.doctor.pk}/").json()

    assert doctor["clinics"] == [world.clinic.pk]
    assert doctor["services"] == [world.service.pk]
    assert doctor["specialties"] == ["general-practice"]


def test_doctor_lists_cost_a_fixed_number_of_queries(anon, world, django_assert_num_queries):
    for _ in range(10):
        doctor = DoctorFactory(services=[ServiceOfferingFactory(clinic=world.clinic)])
        doctor.languages.set([SpokenLanguageFactory()])
    with django_assert_num_queries(5):
        response = anon.get("/api/v1/doctors/")
    assert response.json()["count"] == 11


@pytest.mark.parametrize(
    "query",
    [
        {"clinic": "abc"},
        {"clinic": "99999999999999999999999999"},
        {"clinic": "-1"},
        {"service": "1.5"},
    ],
)
def test_bad_filter_values_are_a_400_problem(anon, world, query):
    body = assert_problem(anon.get("/api/v1/doctors/", query), 400, "invalid-request")
    assert list(body["errors"]) == list(query)


def test_an_unknown_id_is_a_404_problem(anon, world):
    assert_problem(anon.get("/api/v1/clinics/999999/"), 404, "not-found")
    assert_problem(anon.get("/api/v1/clinics/99999999999999999999999/"), 404, "not-found")


def test_catalogue_writes_are_not_allowed(anon, world, patient_api):
    body = assert_problem(patient_api.post("/api/v1/clinics/", {}, format="json"), 405)
    assert body["type"] == "/api/problems/method-not-allowed"


def test_ordering_by_price(anon, world):
    cheap = ServiceOfferingFactory(clinic=world.clinic, price_minor=100)

    assert ids(anon.get("/api/v1/services/", {"ordering": "price_minor"}))[0] == cheap.pk
