"""Project-wide checks that belong in `make test`."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.clinics.factories import ClinicFactory, ServiceOfferingFactory
from tests.doctors.factories import DoctorFactory


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_home_page_lists_active_clinics_with_bounded_queries(client, django_assert_num_queries):
    for n in range(5):
        clinic = ClinicFactory(name=f"Clinic {n}", city="Berlin")
        service = ServiceOfferingFactory(clinic=clinic, price_minor=4500 + n)
        DoctorFactory(services=[service])
    ClinicFactory(name="Closed for good", is_active=False)

    with django_assert_num_queries(1):
        response = client.get("/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Clinic 4" in body
    assert "Closed for good" not in body
    assert "€45.00" in body


@pytest.mark.django_db
def test_home_page_has_an_empty_state(client):
    response = client.get("/")
    assert "No clinics yet" in response.content.decode()


@pytest.mark.django_db
def test_admin_login_page_is_served(client):
    assert client.get("/admin/login/").status_code == 200
