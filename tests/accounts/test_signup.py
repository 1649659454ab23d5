"""Signing up: a patient with a profile and an unconfirmed address, and one mail to confirm it."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from apps.accounts.models import PatientProfile, User
from apps.accounts.roles import Role
from apps.audit.models import AuditEntry
from tests.accounts.factories import PatientFactory
from tests.accounts.helpers import NEW_PASSWORD, h1_count, link_in, sign_up, signed_in_user_id

pytestmark = pytest.mark.django_db


def test_sign_up_page_has_one_heading_and_asks_for_email_name_and_password_twice(client):
    response = client.get(reverse("account_signup"))

    page = response.content.decode()
    assert response.status_code == 200
    assert h1_count(response) == 1
    order = [
        page.index(f'name="{name}"')
        for name in ("email", "first_name", "last_name", "password1", "password2")
    ]
    assert order == sorted(order)
    assert "placeholder=" not in page


def test_signing_up_creates_a_patient_with_a_profile_who_is_not_signed_in_yet(client):
    response = sign_up(client)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="lena.vogel@example.test")
    assert (user.first_name, user.last_name, user.role) == ("Lena", "Vogel", Role.PATIENT)
    assert not user.is_staff
    assert not user.is_superuser
    assert user.check_password(NEW_PASSWORD)
    assert PatientProfile.objects.get(user=user).preferred_language == "en"
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (user.email, False, True)
    assert signed_in_user_id(client) is None
    assert AuditEntry.objects.for_target(user).get().action == "patient.register"


def test_signing_up_sends_one_mail_with_a_link_to_confirm_the_address(client, mailoutbox):
    sign_up(client)

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["lena.vogel@example.test"]
    assert mail.subject == "[Clinix] Confirm your email address"
    assert "Lena" in mail.body
    assert link_in(mail, "/accounts/confirm-email/")


def test_the_confirmation_page_says_to_confirm_before_signing_in(client):
    response = client.get(reverse("account_email_verification_sent"))

    assert h1_count(response) == 1
    assert "You need to confirm your email address before you can sign in" in (
        response.content.decode()
    )


def test_someone_signing_up_in_german_gets_german_as_their_language(client):
    client.cookies["django_language"] = "de"

    sign_up(client)

    assert User.objects.get().patient_profile.preferred_language == "de"


def test_sign_up_errors_stand_next_to_each_field_and_in_a_summary(client):
    response = sign_up(client, email="not-an-email", first_name="", password2="different")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in page
    assert '<a href="#id_first_name">Enter your first name</a>' in page
    assert 'id="id_first_name_error"' in page
    assert 'aria-describedby="id_first_name_error"' in page
    assert "Enter an email address in the right format, like name@example.com" in page
    assert "You must type the same password each time." in page
    assert not User.objects.exists()


def test_signing_up_with_a_taken_address_makes_no_second_account(client, mailoutbox):
    PatientFactory(email="lena.vogel@example.test")

    response = sign_up(client, email="Lena.Vogel@example.test")

    # The same answer as for a new address: nobody learns who has an account here.
    assert response.url == reverse("account_email_verification_sent")
    assert User.objects.count() == 1
    assert "/accounts/confirm-email/" not in mailoutbox[0].body


def test_a_failure_half_way_through_sign_up_leaves_no_account_behind(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("email table unavailable")

    # allauth adds the email address after the adapter created user and profile.
    monkeypatch.setattr("allauth.account.forms.setup_user_email", broken)

    with pytest.raises(RuntimeError):
        sign_up(client)

    assert not User.objects.exists()
    assert not PatientProfile.objects.exists()


def test_too_many_sign_ups_from_one_address_get_a_page_that_says_to_wait(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "1/m/ip"}
    sign_up(client)

    response = sign_up(client, email="second@example.test")

    assert response.status_code == 429
    assert h1_count(response) == 1
    assert "Wait a few minutes, then try again." in response.content.decode()
    assert not User.objects.filter(email="second@example.test").exists()
