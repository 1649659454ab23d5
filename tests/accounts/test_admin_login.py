"""The back-office sign-in stays Django's page, behind allauth's failed-sign-in limit."""

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.accounts.services import user_set_role
from tests.accounts.factories import PASSWORD, UserFactory
from tests.accounts.helpers import sign_in, signed_in_user_id

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
TOO_MANY = "Too many failed attempts to sign in."


@pytest.fixture
def manager():
    user = UserFactory(email="manager@example.test")
    return user_set_role(user=user, role=Role.CLINIC_MANAGER)


def admin_sign_in(client, email: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": email, "password": password, "next": "/admin/"})


def test_the_back_office_sign_in_page_answers(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_staff_sign_in_to_the_back_office(client, manager):
    response = admin_sign_in(client, manager.email)

    assert response.status_code == 302
    assert response.url == "/admin/"
    assert signed_in_user_id(client) == manager.pk
    assert client.get("/admin/").status_code == 200


def test_a_wrong_password_is_refused_in_the_back_office(client, manager):
    response = admin_sign_in(client, manager.email, "guess")

    assert response.status_code == 200
    assert "Please enter the correct e-mail address and password" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_patients_cannot_sign_in_to_the_back_office(client, patient):
    response = admin_sign_in(client, patient.email)

    assert response.status_code == 200
    assert signed_in_user_id(client) is None


def test_the_back_office_sign_in_pauses_after_repeated_failures(client, settings, manager):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    for _attempt in range(3):
        admin_sign_in(client, manager.email, "guess")

    response = admin_sign_in(client, manager.email)

    assert response.status_code == 200
    assert TOO_MANY in response.content.decode()
    assert signed_in_user_id(client) is None


def test_failures_at_either_door_count_together(client, settings, verified_patient):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    for _attempt in range(3):
        admin_sign_in(client, verified_patient.email, "guess")

    response = sign_in(client, verified_patient.email)

    assert TOO_MANY in response.content.decode()
    assert signed_in_user_id(client) is None
