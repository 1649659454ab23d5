"""Forgotten and changed passwords: the reset link end to end, and a change that keeps you in."""

import pytest
from django.urls import reverse

from tests.accounts.factories import PASSWORD
from tests.accounts.helpers import h1_count, link_in, sign_in, signed_in_user_id

pytestmark = pytest.mark.django_db

NEW = "brand-new-Passw0rd-2026"


def test_a_forgotten_password_is_reset_through_the_link_in_the_mail(
    client, verified_patient, mailoutbox
):
    asked = client.post(reverse("account_reset_password"), {"email": verified_patient.email})
    link = link_in(mailoutbox[0], "/accounts/password/reset/key/")

    # allauth moves the key out of the address bar into the session before showing the form.
    form_page = client.get(link, follow=True)
    done = client.post(form_page.redirect_chain[-1][0], {"password1": NEW, "password2": NEW})

    assert asked.url == reverse("account_reset_password_done")
    assert mailoutbox[0].subject == "[Clinix] Reset your password"
    assert "Choose a new password" in form_page.content.decode()
    assert done.url == reverse("account_reset_password_from_key_done")
    verified_patient.refresh_from_db()
    assert verified_patient.check_password(NEW)
    assert sign_in(client, verified_patient.email, NEW).status_code == 302
    assert signed_in_user_id(client) == verified_patient.pk


def test_a_reset_link_works_only_once(client, verified_patient, mailoutbox):
    client.post(reverse("account_reset_password"), {"email": verified_patient.email})
    link = link_in(mailoutbox[0], "/accounts/password/reset/key/")
    form_page = client.get(link, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"password1": NEW, "password2": NEW})

    again = client.get(link, follow=True)

    page = again.content.decode()
    assert "This link does not work" in page
    assert reverse("account_reset_password") in page


def test_asking_to_reset_an_unknown_address_looks_the_same_and_sends_no_reset_link(
    client, mailoutbox
):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.test"})

    assert response.url == reverse("account_reset_password_done")
    assert all("/accounts/password/reset/key/" not in mail.body for mail in mailoutbox)


def test_the_reset_request_page_explains_what_happens_next(client):
    response = client.get(reverse("account_reset_password"))

    assert h1_count(response) == 1
    assert "We will send you a link to choose a new password" in response.content.decode()


def test_changing_the_password_needs_the_current_one_and_keeps_you_signed_in(
    client, verified_patient
):
    sign_in(client, verified_patient.email)
    url = reverse("account_change_password")

    refused = client.post(url, {"oldpassword": "wrong", "password1": NEW, "password2": NEW})
    changed = client.post(url, {"oldpassword": PASSWORD, "password1": NEW, "password2": NEW})

    assert "Enter your current password." in refused.content.decode()
    assert changed.status_code == 302
    verified_patient.refresh_from_db()
    assert verified_patient.check_password(NEW)
    assert signed_in_user_id(client) == verified_patient.pk
    assert "Your password has been changed." in client.get(changed.url).content.decode()


def test_the_password_page_needs_a_signed_in_person(client):
    response = client.get(reverse("account_change_password"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
