"""Demo people sign in at /accounts/login/ with the demo password, straight after seeding."""

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.demo import world
from apps.demo.seeding import seed
from tests.accounts.helpers import sign_in, signed_in_user_id


@pytest.fixture
def seeded(db):
    return seed()


@pytest.mark.slow
def test_every_demo_person_has_a_verified_primary_address_and_seeding_again_adds_none(seeded):
    assert seeded.created["email addresses"] == User.objects.count()
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == User.objects.count()

    again = seed()

    assert "email addresses" not in again.created
    assert EmailAddress.objects.count() == User.objects.count()


@pytest.mark.slow
def test_seeded_demo_patients_and_staff_sign_in_with_the_demo_password(seeded):
    for email in ("patient@clinix.test", "reception@clinix.test", "doctor@clinix.test"):
        client = Client()

        response = sign_in(client, email, world.DEMO_PASSWORD)

        assert response.status_code == 302, email
        assert response.url == reverse("portal:appointment-list")
        assert signed_in_user_id(client) == User.objects.get(email=email).pk
