"""The email addresses page: each address with its state, adding one sends it a link."""

import pytest
from django.urls import reverse

from tests.accounts.helpers import h1_count, link_in, sign_in

pytestmark = pytest.mark.django_db


def test_the_email_page_lists_the_address_with_its_state(client, verified_patient):
    sign_in(client, verified_patient.email)

    response = client.get(reverse("account_email"))

    page = response.content.decode()
    assert h1_count(response) == 1
    assert verified_patient.email in page
    assert "Confirmed" in page
    assert "Add an email address" in page


def test_adding_an_address_sends_it_a_confirmation_link(client, verified_patient, mailoutbox):
    sign_in(client, verified_patient.email)

    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "second@example.test"}, follow=True
    )

    page = response.content.decode()
    assert "second@example.test" in page
    assert "Not confirmed yet" in page
    assert mailoutbox[-1].to == ["second@example.test"]
    assert link_in(mailoutbox[-1], "/accounts/confirm-email/")
