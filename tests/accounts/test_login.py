"""Signing in and out: confirmed address first, a clear message for every refusal."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from apps.accounts.middleware import SESSION_LANGUAGE_KEY
from tests.accounts.factories import PASSWORD, PatientFactory
from tests.accounts.helpers import (
    NEW_PASSWORD,
    h1_count,
    link_in,
    sign_in,
    sign_up,
    signed_in_user_id,
)

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed attempts to sign in."
WRONG = "The email address or password is not right."


def test_the_sign_in_page_has_one_heading_and_a_way_to_sign_up_and_to_reset(client):
    response = client.get(reverse("account_login"))

    page = response.content.decode()
    assert h1_count(response) == 1
    assert reverse("account_signup") in page
    assert reverse("account_reset_password") in page


def test_signing_in_before_confirming_the_address_is_refused_with_a_clear_message(
    client, mailoutbox
):
    sign_up(client)

    response = client.post(
        reverse("account_login"),
        {"login": "lena.vogel@example.test", "password": NEW_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("account_email_verification_sent")
    assert "You need to confirm your email address before you can sign in" in (
        response.content.decode()
    )
    assert signed_in_user_id(client) is None


def test_following_the_link_in_the_mail_confirms_the_address_and_signs_in(client, mailoutbox):
    sign_up(client)
    link = link_in(mailoutbox[0], "/accounts/confirm-email/")

    page = client.get(link)
    response = client.post(link)

    assert page.status_code == 200
    assert "Confirm email address" in page.content.decode()
    assert response.status_code == 302
    assert response.url == reverse("portal:appointment-list")
    address = EmailAddress.objects.get(email="lena.vogel@example.test")
    assert address.verified
    assert signed_in_user_id(client) == address.user_id


def test_an_unknown_confirmation_link_says_what_to_do_next(client):
    response = client.get(reverse("account_confirm_email", args=["not-a-real-key"]))

    page = response.content.decode()
    assert "This link has expired or does not work" in page
    assert reverse("account_login") in page


def test_a_verified_patient_signs_in_and_lands_on_their_appointments(client, verified_patient):
    response = sign_in(client, verified_patient.email)

    assert response.status_code == 302
    assert response.url == reverse("portal:appointment-list")
    assert signed_in_user_id(client) == verified_patient.pk


def test_a_wrong_password_is_refused_with_a_message_in_the_error_summary(client, verified_patient):
    response = sign_in(client, verified_patient.email, "not-the-password")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in page
    assert WRONG in page
    assert signed_in_user_id(client) is None


def test_repeated_failed_sign_ins_are_paused_with_a_clear_message(
    client, settings, verified_patient
):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    for _attempt in range(3):
        assert WRONG in sign_in(client, verified_patient.email, "guess").content.decode()

    # Even the right password waits now: the attacker cannot tell it was right.
    response = sign_in(client, verified_patient.email, PASSWORD)

    assert TOO_MANY in response.content.decode()
    assert signed_in_user_id(client) is None


def test_the_sign_in_pause_is_per_address_not_for_everybody(client, settings, verified_patient):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    other = PatientFactory(email="someone.else@example.test")
    EmailAddress.objects.create(user=other, email=other.email, verified=True, primary=True)
    for _attempt in range(3):
        sign_in(client, verified_patient.email, "guess")

    response = sign_in(client, other.email)

    assert response.status_code == 302
    assert signed_in_user_id(client) == other.pk


def test_signing_out_ends_the_session_and_forgets_the_language(client, verified_patient):
    sign_in(client, verified_patient.email)
    assert client.session[SESSION_LANGUAGE_KEY] == "en"

    confirm = client.get(reverse("account_logout"))
    response = client.post(reverse("account_logout"))

    assert h1_count(confirm) == 1
    assert response.url == reverse("portal:home")
    assert signed_in_user_id(client) is None
    assert SESSION_LANGUAGE_KEY not in client.session
