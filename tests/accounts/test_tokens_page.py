"""The developer tokens page: your own tokens only, a secret shown once, revoke with a
confirmation, 422 with errors when the form is wrong."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create, api_token_hash
from apps.audit.models import AuditEntry
from tests.accounts.factories import StaffUserFactory
from tests.accounts.helpers import h1_count

pytestmark = pytest.mark.django_db

A_MINUTE = timedelta(minutes=1)

URL = reverse("accounts:tokens")
ME = "/api/v1/me/"
HTMX = {"HX-Request": "true"}


def revoke_url(token: ApiToken) -> str:
    return reverse("accounts:token-revoke", args=[token.pk])


def secret_in(response) -> str:
    page = response.content.decode()
    match = re.search(r'id="token-secret"[^>]*>(clx_[A-Za-z0-9_-]+)</textarea>', page)
    assert match, "no secret on the page"
    return match.group(1)


def me_with(secret: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client.get(ME)


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient)
    return client


# --- The list -------------------------------------------------------------------------------


def test_the_tokens_page_needs_a_signed_in_person(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={URL}"


def test_the_tokens_page_is_in_the_account_navigation(signed_in):
    page = signed_in.get(reverse("accounts:profile")).content.decode()

    assert f'href="{URL}"' in page
    assert "Developer tokens" in page


def test_without_tokens_the_page_explains_them_and_links_the_api_docs(signed_in):
    response = signed_in.get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert h1_count(response) == 1
    assert "You have no tokens yet" in page
    assert 'href="/api/docs/"' in page
    assert "docs/api.md" not in page
    assert f'href="{URL}" aria-current="page"' in page
    assert "no-store" in response["Cache-Control"]


def test_the_page_lists_only_your_own_tokens_with_their_state(signed_in, patient, other_patient):
    active, _secret = api_token_create(user=patient, name="Calendar sync", expires_in_days=30)
    revoked, _secret = api_token_create(user=patient, name="Old laptop")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    expired, _secret = api_token_create(user=patient, name="Last year's script")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    theirs, _secret = api_token_create(user=other_patient, name="Someone else's token")

    page = signed_in.get(URL).content.decode()

    assert "Calendar sync" in page
    assert f"{active.prefix}…" in page
    assert "Someone else&#x27;s token" not in page
    assert theirs.prefix not in page
    assert page.count('class="badge badge--confirmed"') == 1
    assert page.count('class="badge badge--held"') == 1  # expired
    assert page.count('class="badge badge--revoked"') == 1
    # Only the working token can be revoked.
    assert len(re.findall(r'href="/account/tokens/\d+/revoke/"', page)) == 1
    assert f'href="{revoke_url(active)}"' in page


def test_staff_may_keep_tokens_too(client):
    staff = StaffUserFactory(email="desk@example.test")
    api_token_create(user=staff, name="Reception script")
    client.force_login(staff)

    response = client.get(URL)

    assert response.status_code == 200
    assert "Reception script" in response.content.decode()


def test_the_list_costs_the_same_few_queries_however_many_tokens(
    signed_in, patient, django_assert_max_num_queries
):
    for number in range(12):
        api_token_create(user=patient, name=f"Token {number}")

    with django_assert_max_num_queries(3):  # the session, the user, the tokens
        response = signed_in.get(URL)

    assert response.content.decode().count('class="token-list__item"') == 12


# --- Creating a token -----------------------------------------------------------------------


def test_creating_a_token_shows_its_secret_once_and_the_secret_works(signed_in, patient):
    response = signed_in.post(URL, {"name": "Calendar sync", "expires_in_days": "30"})

    page = response.content.decode()
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    assert "You will not be able to see it again." in page
    assert 'data-copy="token-secret"' in page
    secret = secret_in(response)
    token = ApiToken.objects.get(user=patient)
    assert token.name == "Calendar sync"
    assert token.key_hash == api_token_hash(secret)
    assert token.expires_at - timezone.now() == pytest.approx(
        timedelta(days=30), abs=timedelta(minutes=1)
    )
    assert AuditEntry.objects.filter(action="api_token.create", actor=patient).exists()

    assert me_with(secret).status_code == 200

    # Never again: not on the next page view, not kept in the session.
    again = signed_in.get(URL).content.decode()
    assert secret not in again
    assert token.prefix in again
    assert secret not in str(dict(signed_in.session.items()))


def test_a_token_expires_after_90_days_when_no_expiry_is_given(signed_in, patient):
    response = signed_in.post(URL, {"name": "Default expiry", "expires_in_days": ""})

    assert response.status_code == 201
    token = ApiToken.objects.get(user=patient)
    assert token.expires_at - timezone.now() == pytest.approx(
        timedelta(days=90), abs=timedelta(minutes=1)
    )


def test_the_form_offers_90_days(signed_in):
    page = signed_in.get(URL).content.decode()

    assert 'name="expires_in_days" value="90"' in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "Enter a name for the token"),
        ({"name": "   "}, "name", "Enter a name for the token"),
        ({"name": "x" * 101}, "name", "Token name must be 100 characters or fewer"),
        ({"name": "Script", "expires_in_days": "0"}, "expires_in_days", "from 1 to 3650"),
        ({"name": "Script", "expires_in_days": "3651"}, "expires_in_days", "from 1 to 3650"),
        ({"name": "Script", "expires_in_days": "soon"}, "expires_in_days", "whole number"),
    ],
)
def test_a_wrong_answer_gets_422_with_the_error_by_its_field_and_creates_nothing(
    signed_in, data, field, message
):
    response = signed_in.post(URL, data)

    page = response.content.decode()
    assert response.status_code == 422
    assert 'class="error-summary"' in page
    assert f'<a href="#id_{field}">' in page
    assert f'id="id_{field}_error"' in page
    assert message in page
    assert "<title>Error:" in page
    assert 'id="token-secret"' not in page
    assert not ApiToken.objects.exists()


def test_the_form_keeps_what_was_typed_after_an_error(signed_in):
    page = signed_in.post(URL, {"name": "Calendar sync", "expires_in_days": "9999"}).content

    assert 'value="Calendar sync"' in page.decode()


def test_creating_needs_the_csrf_token(patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)

    response = client.post(URL, {"name": "Forged"})

    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_creating_with_the_csrf_token_works(patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)
    client.get(URL)

    response = client.post(
        URL, {"name": "Real", "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )

    assert response.status_code == 201
    assert ApiToken.objects.filter(user=patient, name="Real").exists()


# --- Revoking a token -----------------------------------------------------------------------


def test_revoking_asks_first_without_changing_anything(signed_in, patient):
    token, _secret = api_token_create(user=patient, name="Calendar sync")

    response = signed_in.get(revoke_url(token))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Revoke this token?" in page
    assert "stop working at once" in page
    assert f'action="{revoke_url(token)}"' in page
    assert f'href="{URL}"' in page  # "No, keep it"
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_your_token_stops_it_working_and_says_so(signed_in, patient):
    token, secret = api_token_create(user=patient, name="Calendar sync")
    assert me_with(secret).status_code == 200

    response = signed_in.post(revoke_url(token))

    assert response.status_code == 302
    assert response.url == URL
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="api_token.revoke", actor=patient).exists()
    assert me_with(secret).status_code == 401
    page = signed_in.get(URL).content.decode()
    assert "The token “Calendar sync” is revoked." in page
    assert 'class="badge badge--revoked"' in page


def test_revoking_with_htmx_answers_the_list_fragment(signed_in, patient):
    token, secret = api_token_create(user=patient, name="Calendar sync")

    response = signed_in.post(revoke_url(token), headers=HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Trigger"] == "token-revoked"
    assert "HX-Request" in response["Vary"]
    assert "<html" not in page
    assert 'id="tokens-heading"' in page
    assert "The token “Calendar sync” is revoked." in page
    assert 'class="badge badge--revoked"' in page
    assert me_with(secret).status_code == 401


def test_the_revoke_link_asks_for_confirmation_with_htmx_too(signed_in, patient):
    token, _secret = api_token_create(user=patient, name="Calendar sync")

    page = signed_in.get(URL).content.decode()

    assert f'hx-post="{revoke_url(token)}"' in page
    assert "hx-confirm=" in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_elses_token_is_not_found_and_stays_as_it_was(signed_in, other_patient, method):
    theirs, secret = api_token_create(user=other_patient, name="Not yours")

    response = getattr(signed_in, method)(revoke_url(theirs))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert me_with(secret).status_code == 200
    assert not AuditEntry.objects.filter(action="api_token.revoke").exists()


def test_revoking_needs_the_csrf_token(patient):
    token, _secret = api_token_create(user=patient, name="Calendar sync")
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)

    response = client.post(revoke_url(token))

    assert response.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_needs_a_signed_in_person(client, patient):
    token, _secret = api_token_create(user=patient, name="Calendar sync")

    response = client.post(revoke_url(token))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_revoked_token_has_nothing_left_to_confirm(signed_in, patient):
    token, _secret = api_token_create(user=patient, name="Calendar sync")
    signed_in.post(revoke_url(token))

    response = signed_in.get(revoke_url(token))

    assert response.status_code == 302
    assert response.url == URL


def test_a_token_shows_as_expired_once_its_time_is_up(signed_in, patient):
    api_token_create(user=patient, name="Short-lived", expires_in_days=1)

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        page = signed_in.get(URL).content.decode()

    assert 'class="badge badge--held"' in page
    assert "Expired" in page
    assert "hx-post=" not in page
