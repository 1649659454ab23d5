"""API clients signed in as the personas, with personal tokens."""

import pytest
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from tests.accounts.factories import PatientFactory
from tests.portal.conftest import verify


def client_for(user) -> APIClient:
    _token, secret = api_token_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def patient_api(patient):
    return client_for(verify(patient))


@pytest.fixture
def other_api(other_patient):
    return client_for(verify(other_patient))


@pytest.fixture
def make_patient_api(db):
    def make():
        user = verify(PatientFactory())
        return user, client_for(user)

    return make


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The answer is RFC 7807 problem JSON with this status (and type)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= set(body)
    if code:
        assert body["type"] == f"/api/problems/{code}"
    return body
