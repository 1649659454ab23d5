"""OIDC bearer tokens against a real OpenID provider running on a local port.

The provider is oidc-provider-mock (Flask + authlib) served by werkzeug on a thread: tokens
come from its authorization-code flow and Clinix checks them at its userinfo endpoint over
HTTP, exactly as it would with Keycloak. Nothing of ours is faked.
"""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import werkzeug.serving
from allauth.account.models import EmailAddress
from oidc_provider_mock import app as oidc_provider_app
from rest_framework.test import APIClient

from apps.accounts.models import PatientProfile, User
from apps.accounts.oidc import ClinixOIDCBackend
from apps.accounts.roles import Role
from apps.accounts.services import api_token_create
from apps.audit.models import AuditEntry
from apps.bookings.models import Booking
from tests.accounts.factories import PatientFactory, StaffUserFactory
from tests.api.conftest import assert_problem
from tests.processes import free_port

pytestmark = [
    pytest.mark.django_db,
    # The provider (authlib inside oidc-provider-mock) warns about its own deprecated API.
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]

CLIENT_ID = "clinix-api"
REDIRECT_URI = "http://127.0.0.1/oidc/callback"
SCOPE = "openid email profile"


class _QuietHandler(werkzeug.serving.WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass  # one line per request on stderr drowns the test output


@dataclass
class Provider:
    """A running OpenID provider and the requests it has served, by path."""

    base_url: str
    server: werkzeug.serving.BaseWSGIServer
    thread: threading.Thread
    paths: list[str] = field(default_factory=list)

    @property
    def userinfo_calls(self) -> int:
        return self.paths.count("/userinfo")

    def access_token_for(self, sub: str, **claims) -> str:
        """Register ``sub`` with ``claims`` and sign them in: the access token they get."""
        requests.put(f"{self.base_url}/users/{sub}", json=claims, timeout=5).raise_for_status()
        authorized = requests.post(
            f"{self.base_url}/oauth2/authorize",
            params={
                "client_id": CLIENT_ID,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": SCOPE,
            },
            data={"sub": sub},
            allow_redirects=False,
            timeout=5,
        )
        assert authorized.status_code == 302, authorized.text
        code = parse_qs(urlparse(authorized.headers["Location"]).query)["code"][0]
        issued = requests.post(
            f"{self.base_url}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": CLIENT_ID,
                "client_secret": "not-checked-by-the-mock",
            },
            timeout=5,
        )
        issued.raise_for_status()
        return issued.json()["access_token"]

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
            self.thread.join(timeout=5)
            self.server.server_close()


@pytest.fixture
def provider(settings) -> Iterator[Provider]:
    """A real OIDC provider on 127.0.0.1, and Clinix configured to trust it."""
    wsgi_app = oidc_provider_app()
    paths: list[str] = []

    def counting_app(environ, start_response):
        paths.append(environ["PATH_INFO"])
        return wsgi_app(environ, start_response)

    server = werkzeug.serving.make_server(
        "127.0.0.1", 0, counting_app, threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    running = Provider(
        base_url=f"http://127.0.0.1:{server.server_port}",
        server=server,
        thread=thread,
        paths=paths,
    )
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{running.base_url}/oauth2/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{running.base_url}/oauth2/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{running.base_url}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{running.base_url}/jwks"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "not-checked-by-the-mock"  # noqa: S105 - a test value
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_TOKEN_CACHE_SECONDS = 60
    try:
        yield running
    finally:
        running.stop()


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_a_provider_token_for_a_known_email_signs_that_user_in(provider):
    PatientFactory(email="ada@example.test")
    token = provider.access_token_for("ada", email="Ada@Example.test", email_verified=True)

    response = bearer(token).get("/api/v1/me/")

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "ada@example.test"
    assert User.objects.filter(email__iexact="ada@example.test").count() == 1
    assert provider.userinfo_calls == 1


def test_staff_sign_in_with_the_provider_and_keep_their_role(provider):
    staff = StaffUserFactory(email="desk@example.test")
    token = provider.access_token_for("desk", email="desk@example.test", email_verified=True)

    assert bearer(token).get("/api/v1/me/").json()["email"] == "desk@example.test"
    staff.refresh_from_db()
    assert staff.role == Role.RECEPTIONIST


def test_a_new_person_with_a_verified_email_becomes_a_patient_who_can_book(provider, world):
    token = provider.access_token_for(
        "grace",
        email="grace@example.test",
        email_verified=True,
        given_name="Grace",
        family_name="Hopper",
    )
    client = bearer(token)

    me = client.get("/api/v1/me/")

    assert me.status_code == 200, me.content
    assert me.json()["first_name"] == "Grace"
    user = User.objects.get(email="grace@example.test")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.PATIENT, False, False)
    assert user.last_name == "Hopper"
    assert not user.has_usable_password()
    assert PatientProfile.objects.filter(user=user).exists()
    assert EmailAddress.objects.filter(user=user, email=user.email, verified=True).exists()
    assert AuditEntry.objects.filter(action="patient.register", actor=user).exists()

    booked = client.post(
        "/api/v1/bookings/", {"slot": world.slots[0].pk, "service": world.service.pk}
    )

    assert booked.status_code == 201, booked.content
    assert Booking.objects.get(reference=booked.json()["reference"]).patient == user


def test_a_new_person_whose_email_is_not_verified_is_refused_and_not_created(provider):
    token = provider.access_token_for("eve", email="eve@example.test", email_verified=False)

    response = bearer(token).get("/api/v1/me/")

    assert_problem(response, 401, "authentication-failed")
    assert not User.objects.filter(email="eve@example.test").exists()


@pytest.mark.parametrize("email_verified", ["false", "False", None, 0])
def test_only_a_true_email_verified_claim_counts_as_verified(provider, email_verified):
    # Some providers send the claim as a string ("false" is truthy in Python) and some not
    # at all: anything but true must not create an account that counts as verified.
    claims = {"email": "mallory@example.test"}
    if email_verified is not None:
        claims["email_verified"] = email_verified
    token = provider.access_token_for("mallory", **claims)

    assert_problem(bearer(token).get("/api/v1/me/"), 401, "authentication-failed")
    assert not User.objects.filter(email="mallory@example.test").exists()


def test_the_string_true_counts_as_a_verified_email(provider):
    token = provider.access_token_for("kay", email="kay@example.test", email_verified="true")

    assert bearer(token).get("/api/v1/me/").status_code == 200
    assert EmailAddress.objects.filter(email="kay@example.test", verified=True).exists()


@pytest.mark.parametrize("email_verified", [False, None])
def test_an_unverified_email_claim_does_not_take_over_an_existing_account(provider, email_verified):
    # A provider that lets people type any e-mail address would otherwise hand them the
    # Clinix account (staff included) that owns that address.
    PatientFactory(email="victim@example.test")
    claims = {"email": "victim@example.test"}
    if email_verified is not None:
        claims["email_verified"] = email_verified
    token = provider.access_token_for("attacker", **claims)

    assert_problem(bearer(token).get("/api/v1/me/"), 401, "authentication-failed")


def test_a_token_without_an_email_claim_is_refused(provider):
    # Without the email scope the provider's userinfo says only who, not which address.
    token = provider.access_token_for("nobody", email_verified=True)

    assert_problem(bearer(token).get("/api/v1/me/"), 401, "authentication-failed")
    assert User.objects.count() == 0


def test_a_bogus_bearer_token_is_refused_with_problem_json_and_a_challenge(provider):
    response = bearer("not-a-token-the-provider-issued").get("/api/v1/me/")

    body = assert_problem(response, 401, "authentication-failed")
    assert response["WWW-Authenticate"]
    assert body["detail"] == "The identity provider refused the token."
    assert body["instance"] == "/api/v1/me/"
    assert provider.userinfo_calls == 1


def test_a_provider_that_is_down_means_401_not_500(provider, settings):
    PatientFactory(email="ada@example.test")
    token = provider.access_token_for("ada", email="ada@example.test", email_verified=True)
    settings.OIDC_OP_USER_ENDPOINT = f"http://127.0.0.1:{free_port()}/userinfo"  # nobody there

    response = bearer(token).get("/api/v1/me/")

    body = assert_problem(response, 401, "authentication-failed")
    assert body["detail"] == "The identity provider did not answer."
    assert response["WWW-Authenticate"]


def test_a_provider_stopped_mid_test_means_401_not_500(provider):
    PatientFactory(email="ada@example.test")
    token = provider.access_token_for("ada", email="ada@example.test", email_verified=True)
    provider.stop()

    assert_problem(bearer(token).get("/api/v1/me/"), 401, "authentication-failed")


def test_a_provider_that_answers_with_an_error_page_means_401(provider, settings):
    token = provider.access_token_for("ada", email="ada@example.test", email_verified=True)
    settings.OIDC_OP_USER_ENDPOINT = f"{provider.base_url}/no-such-endpoint"

    assert_problem(bearer(token).get("/api/v1/me/"), 401, "authentication-failed")


def test_a_token_is_checked_with_the_provider_once_within_the_cache_time(provider):
    PatientFactory(email="ada@example.test")
    token = provider.access_token_for("ada", email="ada@example.test", email_verified=True)
    client = bearer(token)

    assert client.get("/api/v1/me/").status_code == 200
    assert provider.userinfo_calls == 1
    assert client.get("/api/v1/me/tokens/").status_code == 200
    assert provider.userinfo_calls == 1

    provider.stop()

    again = client.get("/api/v1/me/")
    assert again.status_code == 200, again.content
    assert again.json()["email"] == "ada@example.test"
    # Another token is not vouched for by the cache: it needs the (stopped) provider.
    assert_problem(bearer("some-other-token").get("/api/v1/me/"), 401)


def test_without_a_cache_time_every_request_asks_the_provider(provider, settings):
    settings.OIDC_TOKEN_CACHE_SECONDS = 0
    PatientFactory(email="ada@example.test")
    client = bearer(provider.access_token_for("ada", email="ada@example.test", email_verified=True))

    client.get("/api/v1/me/")
    client.get("/api/v1/me/")

    assert provider.userinfo_calls == 2


def test_a_refused_token_is_not_remembered(provider):
    client = bearer("bogus")

    client.get("/api/v1/me/")
    client.get("/api/v1/me/")

    assert provider.userinfo_calls == 2


def test_an_inactive_clinix_user_is_refused_even_with_a_valid_provider_token(provider):
    PatientFactory(email="gone@example.test", is_active=False)
    token = provider.access_token_for("gone", email="gone@example.test", email_verified=True)

    response = bearer(token).get("/api/v1/me/")

    assert_problem(response, 401, "authentication-failed")
    assert User.objects.filter(email="gone@example.test").count() == 1


def test_a_user_deactivated_after_signing_in_is_refused_despite_the_cache(provider):
    user = PatientFactory(email="ada@example.test")
    client = bearer(provider.access_token_for("ada", email="ada@example.test", email_verified=True))
    assert client.get("/api/v1/me/").status_code == 200

    User.objects.filter(pk=user.pk).update(is_active=False)

    assert_problem(client.get("/api/v1/me/"), 401, "authentication-failed")


def test_bearer_tokens_are_ignored_while_oidc_is_not_configured(provider, settings):
    PatientFactory(email="ada@example.test")
    token = provider.access_token_for("ada", email="ada@example.test", email_verified=True)
    settings.OIDC_OP_USER_ENDPOINT = ""

    assert_problem(bearer(token).get("/api/v1/me/"), 401, "not-authenticated")
    assert provider.userinfo_calls == 0


def test_personal_tokens_still_work_as_bearer_tokens_without_asking_the_provider(provider):
    user = PatientFactory()
    _token, secret = api_token_create(user=user, name="script")

    response = bearer(secret).get("/api/v1/me/")

    assert response.json()["email"] == user.email
    assert provider.userinfo_calls == 0


def test_two_first_sign_ins_racing_end_with_one_account(provider):
    # Two requests with a new person's token both find no user, then both create one: the
    # loser of the race must get the winner's account, not a 500 from the unique e-mail.
    claims = {"email": "new@example.test", "email_verified": True, "sub": "new"}
    winner = ClinixOIDCBackend().create_user(claims)

    loser = ClinixOIDCBackend().create_user(claims)

    assert loser == winner
    assert User.objects.filter(email="new@example.test").count() == 1


@pytest.mark.parametrize("header", [" ", "Bearer", "Bearer two parts"])
def test_a_malformed_authorization_header_is_refused_not_a_crash(provider, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert_problem(client.get("/api/v1/me/"), 401)
    assert provider.userinfo_calls == 0


def test_one_address_cannot_make_clinix_flood_the_provider_with_bogus_tokens(provider, settings):
    # Each unknown token costs a blocking call to the provider before any view (and its
    # throttles) runs: the address limit must hold there too.
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "ip": "3/min"}
    for n in range(3):
        assert_problem(bearer(f"guess-{n}").get("/api/v1/me/"), 401, "authentication-failed")

    response = bearer("guess-4").get("/api/v1/me/")

    body = assert_problem(response, 429, "throttled")
    assert response["Retry-After"] == str(body["retry_after"])
    assert provider.userinfo_calls == 3
    assert bearer("guess-5").get("/api/v1/me/", REMOTE_ADDR="203.0.113.9").status_code == 401
