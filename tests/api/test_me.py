"""/api/v1/me/: your profile, and the personal tokens scripts sign in with."""

import hashlib
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken, PatientProfile, User
from apps.accounts.services import api_token_create
from apps.audit.models import AuditEntry
from tests.accounts.factories import PatientFactory, StaffUserFactory
from tests.api.conftest import assert_problem, client_for

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
TOKENS = "/api/v1/me/tokens/"


def with_token(secret: str, keyword: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {secret}")
    return client


def token_row(secret: str) -> ApiToken:
    return ApiToken.objects.get(key_hash=hashlib.sha256(secret.encode()).hexdigest())


# --- Profile -------------------------------------------------------------------------------------


def test_me_shows_your_own_profile(patient_api, patient):
    response = patient_api.get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "email": "patient@example.test",
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": None,
        "sex": "undisclosed",
        "phone": "",
        "preferred_language": "en",
    }


def test_staff_without_a_patient_profile_see_the_defaults():
    staff = StaffUserFactory(email="desk@example.test")

    body = client_for(staff).get(ME).json()

    assert body["email"] == "desk@example.test"
    assert (body["sex"], body["preferred_language"], body["date_of_birth"]) == (
        "undisclosed",
        "en",
        None,
    )


def test_patch_changes_only_the_fields_sent(patient_api, patient):
    patient_api.patch(ME, {"first_name": "Ada", "sex": "female"}, format="json")

    response = patient_api.patch(ME, {"phone": "+49 30 1234567"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["first_name"], body["sex"], body["phone"]) == ("Ada", "female", "+49 30 1234567")
    patient.refresh_from_db()
    profile = PatientProfile.objects.get(user=patient)
    assert (patient.first_name, profile.sex, profile.phone) == ("Ada", "female", "+49 30 1234567")


def test_patch_records_an_audit_entry_naming_what_changed(patient_api, patient):
    patient_api.patch(ME, {"phone": "+49 30 1234567"}, format="json")

    entry = AuditEntry.objects.get(action="patient_profile.update")
    assert entry.actor_id == patient.pk
    assert entry.changes == {"phone": ["", "+49 30 1234567"]}


def test_patch_saves_a_date_of_birth_and_a_language(patient_api, patient):
    response = patient_api.patch(
        ME, {"date_of_birth": "1990-02-28", "preferred_language": "de"}, format="json"
    )

    assert response.status_code == 200
    profile = PatientProfile.objects.get(user=patient)
    assert profile.date_of_birth == date(1990, 2, 28)
    assert profile.preferred_language == "de"


def test_patch_creates_the_profile_of_staff_who_had_none():
    staff = StaffUserFactory()

    response = client_for(staff).patch(ME, {"phone": "555"}, format="json")

    assert response.status_code == 200
    assert PatientProfile.objects.get(user=staff).phone == "555"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sex": "robot"}, "sex"),
        ({"preferred_language": "fr"}, "preferred_language"),
        ({"date_of_birth": "28.02.1990"}, "date_of_birth"),
        ({"date_of_birth": "1899-12-31"}, "date_of_birth"),
        ({"first_name": "x" * 151}, "first_name"),
        ({"phone": "1" * 33}, "phone"),
        ({"first_name": None}, "first_name"),
    ],
)
def test_patch_answers_400_naming_the_bad_field_and_saves_nothing(
    patient_api, patient, body, field
):
    before = PatientProfile.objects.get(user=patient).updated_at

    response = patient_api.patch(ME, {**body, "phone": "555"} if field != "phone" else body)

    problem = assert_problem(response, 400, "invalid-request")
    assert list(problem["errors"]) == [field]
    profile = PatientProfile.objects.get(user=patient)
    assert (profile.phone, profile.updated_at) == ("", before)


def test_a_date_of_birth_in_the_future_is_refused(patient_api, patient):
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = patient_api.patch(ME, {"date_of_birth": tomorrow.isoformat()}, format="json")

    assert "date_of_birth" in assert_problem(response, 400, "invalid-request")["errors"]
    assert PatientProfile.objects.get(user=patient).date_of_birth is None


def test_a_date_of_birth_of_today_is_accepted(patient_api):
    today = timezone.localdate().isoformat()

    assert patient_api.patch(ME, {"date_of_birth": today}, format="json").status_code == 200


def test_unknown_fields_are_refused_not_ignored(patient_api, patient):
    response = patient_api.patch(ME, {"phone": "555", "is_staff": True, "role": "platform_admin"})

    problem = assert_problem(response, 400, "invalid-request")
    assert set(problem["errors"]) == {"is_staff", "role"}
    patient.refresh_from_db()
    assert (patient.is_staff, patient.role) == (False, "patient")
    assert PatientProfile.objects.get(user=patient).phone == ""


def test_the_email_address_cannot_be_changed_through_me(patient_api, patient):
    patient_api.patch(ME, {"email": "someone.else@example.test"}, format="json")

    patient.refresh_from_db()
    assert patient.email == "patient@example.test"


def test_a_body_that_is_not_json_is_a_400(patient_api):
    response = patient_api.generic("PATCH", ME, "{not json", content_type="application/json")

    assert_problem(response, 400, "malformed-json")


@pytest.mark.parametrize("method", ["get", "patch"])
def test_me_without_credentials_answers_401_with_a_challenge(anon, method):
    response = getattr(anon, method)(ME)

    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"]


def test_a_signed_in_browser_session_reaches_me(client, patient):
    client.force_login(patient)

    assert client.get(ME).json()["email"] == patient.email


def test_me_costs_a_fixed_number_of_queries(patient_api, django_assert_max_num_queries):
    patient_api.get(ME)  # the first use stamps last_used_at

    with django_assert_max_num_queries(2):
        assert patient_api.get(ME).status_code == 200
    with django_assert_max_num_queries(10):
        assert patient_api.patch(ME, {"phone": "555"}, format="json").status_code == 200


# --- Tokens: create and list ---------------------------------------------------------------------


def test_creating_a_token_shows_its_secret_once_and_stores_only_its_hash(patient_api, patient):
    response = patient_api.post(TOKENS, {"name": "  Home script  "}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["token"]
    assert secret.startswith("clx_")
    assert len(secret) > 40
    row = ApiToken.objects.get(pk=body["id"])
    assert row.user == patient
    assert row.name == body["name"] == "Home script"
    assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.prefix == body["prefix"] == secret[:10]
    stored = [str(value) for value in ApiToken.objects.filter(pk=row.pk).values().get().values()]
    assert not any(secret in value for value in stored)
    assert body["expires_at"] is None
    assert AuditEntry.objects.filter(action="api_token.create", actor_id=patient.pk).exists()


def test_every_token_has_its_own_secret(patient_api):
    first = patient_api.post(TOKENS, {"name": "a"}, format="json").json()["token"]
    second = patient_api.post(TOKENS, {"name": "a"}, format="json").json()["token"]

    assert first != second


def test_the_token_list_shows_your_tokens_without_secrets(patient_api, patient, other_patient):
    secret = patient_api.post(TOKENS, {"name": "CI"}, format="json").json()["token"]
    api_token_create(user=other_patient, name="not yours")

    response = patient_api.get(TOKENS)

    assert response.status_code == 200
    results = response.json()["results"]
    assert sorted(t["name"] for t in results) == ["CI", "tests"]
    assert all("token" not in t and "key_hash" not in t for t in results)
    assert secret not in response.content.decode()
    assert set(results[0]) == {
        "id",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "a", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "a", "expires_in_days": 3651}, "expires_in_days"),
        ({"name": "a", "expires_in_days": "soon"}, "expires_in_days"),
        ({"name": "a", "scopes": ["admin"]}, "scopes"),
    ],
)
def test_invalid_token_requests_answer_400_and_create_nothing(patient_api, body, field):
    response = patient_api.post(TOKENS, body, format="json")

    assert list(assert_problem(response, 400, "invalid-request")["errors"]) == [field]
    assert ApiToken.objects.count() == 1  # the client's own


def test_the_token_list_costs_the_same_for_many_tokens(
    patient_api, patient, django_assert_max_num_queries
):
    for n in range(10):
        api_token_create(user=patient, name=f"token {n}")
    patient_api.get(TOKENS)

    with django_assert_max_num_queries(3):
        assert len(patient_api.get(TOKENS).json()["results"]) == 11


@pytest.mark.parametrize("method", ["get", "post"])
def test_tokens_need_credentials(anon, method):
    assert_problem(getattr(anon, method)(TOKENS, {"name": "x"}), 401, "not-authenticated")
    assert not ApiToken.objects.exists()


# --- Tokens: use ---------------------------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "token", "bearer"])
def test_a_token_signs_its_owner_in_as_token_or_bearer(keyword):
    owner = PatientFactory(email="owner@example.test")
    _token, secret = api_token_create(user=owner, name="script")

    response = with_token(secret, keyword).get(ME)

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "owner@example.test"


def test_last_used_at_is_written_at_most_once_a_minute():
    _token, secret = api_token_create(user=PatientFactory(), name="script")
    client = with_token(secret)
    start = timezone.now()

    with time_machine.travel(start, tick=False) as traveller:
        client.get(ME)
        assert token_row(secret).last_used_at == start

        traveller.shift(timedelta(seconds=59))
        client.get(ME)
        assert token_row(secret).last_used_at == start

        traveller.shift(timedelta(seconds=2))
        client.get(ME)
        assert token_row(secret).last_used_at == start + timedelta(seconds=61)


def test_a_recent_use_costs_no_write(django_assert_num_queries):
    _token, secret = api_token_create(user=PatientFactory(), name="script")
    client = with_token(secret)
    client.get(ME)

    with django_assert_num_queries(2):  # the token with its user, the profile
        client.get(ME)


def test_a_token_works_until_it_expires():
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        owner = PatientFactory()
        creator = client_for(owner)
        created = creator.post(TOKENS, {"name": "a week", "expires_in_days": 7}, format="json")
        body = created.json()
        assert created.status_code == 201
        assert ApiToken.objects.get(pk=body["id"]).expires_at == start + timedelta(days=7)
        client = with_token(body["token"])

        traveller.shift(timedelta(days=7) - timedelta(seconds=1))
        assert client.get(ME).status_code == 200

        traveller.shift(timedelta(seconds=1))
        assert_problem(client.get(ME), 401, "authentication-failed")


@pytest.mark.parametrize(
    "secret",
    [
        "clx_this-was-never-issued",
        "clx_",
        "not-even-our-format",
    ],
)
def test_an_unknown_token_answers_401_with_a_challenge(secret, patient):
    api_token_create(user=patient, name="a real one, for contrast")

    response = with_token(secret).get(ME)

    assert_problem(response, 401, "authentication-failed")
    assert response["WWW-Authenticate"]


def test_a_token_that_differs_by_one_character_is_unknown():
    _token, secret = api_token_create(user=PatientFactory(), name="script")
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    assert_problem(with_token(tampered).get(ME), 401, "authentication-failed")
    assert with_token(secret).get(ME).status_code == 200


def test_an_inactive_users_token_answers_401():
    owner = PatientFactory()
    _token, secret = api_token_create(user=owner, name="script")
    User.objects.filter(pk=owner.pk).update(is_active=False)

    assert_problem(with_token(secret).get(ME), 401, "authentication-failed")


# --- Tokens: revoke ------------------------------------------------------------------------------


def test_revoking_a_token_answers_204_and_the_token_stops_working(patient_api, patient):
    token, secret = api_token_create(user=patient, name="laptop")
    assert with_token(secret).get(ME).status_code == 200

    response = patient_api.delete(f"{TOKENS}{token.pk}/")

    assert response.status_code == 204
    assert_problem(with_token(secret).get(ME), 401, "authentication-failed")
    token.refresh_from_db()
    assert token.revoked_at is not None
    listed = {t["id"]: t for t in patient_api.get(TOKENS).json()["results"]}
    assert listed[token.pk]["revoked_at"] is not None
    assert AuditEntry.objects.filter(action="api_token.revoke", actor_id=patient.pk).count() == 1


def test_revoking_twice_changes_nothing_more(patient_api, patient):
    token, _secret = api_token_create(user=patient, name="laptop")
    patient_api.delete(f"{TOKENS}{token.pk}/")
    first = ApiToken.objects.get(pk=token.pk).revoked_at

    assert patient_api.delete(f"{TOKENS}{token.pk}/").status_code == 204
    assert ApiToken.objects.get(pk=token.pk).revoked_at == first
    assert AuditEntry.objects.filter(action="api_token.revoke").count() == 1


def test_a_token_can_revoke_itself():
    _token, secret = api_token_create(user=PatientFactory(), name="leaked")
    client = with_token(secret)

    assert client.delete(f"{TOKENS}{token_row(secret).pk}/").status_code == 204
    assert_problem(client.get(ME), 401, "authentication-failed")


def test_another_users_token_answers_404_and_stays_valid(patient_api, other_patient):
    theirs, secret = api_token_create(user=other_patient, name="theirs")

    response = patient_api.delete(f"{TOKENS}{theirs.pk}/")

    assert_problem(response, 404, "not-found")
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert with_token(secret).get(ME).status_code == 200


@pytest.mark.parametrize("token_id", ["999999999", "abc", str(2**70)])
def test_an_unknown_token_id_answers_404(patient_api, token_id):
    assert_problem(patient_api.delete(f"{TOKENS}{token_id}/"), 404, "not-found")
