"""Which language the site speaks: the profile's when signed in, the footer picker's otherwise."""

import pytest
from django.urls import reverse

from apps.accounts.middleware import SESSION_LANGUAGE_KEY
from apps.accounts.models import PatientProfile
from tests.accounts.factories import StaffUserFactory
from tests.accounts.helpers import sign_in

pytestmark = pytest.mark.django_db

PAGE = reverse("account_login")


def pick(client, language: str):
    return client.post(reverse("set_language"), {"language": language, "next": PAGE})


def test_visitors_get_english_by_default(client):
    assert client.get(PAGE)["Content-Language"] == "en"


def test_the_footer_picker_switches_the_language_for_visitors(client):
    response = pick(client, "de")

    assert response.url == PAGE
    assert client.get(PAGE)["Content-Language"] == "de"


def test_signing_in_switches_to_the_language_of_the_patients_profile(client, verified_patient):
    PatientProfile.objects.filter(user=verified_patient).update(preferred_language="de")

    sign_in(client, verified_patient.email)

    assert client.session[SESSION_LANGUAGE_KEY] == "de"
    assert client.get(reverse("accounts:profile"))["Content-Language"] == "de"


def test_the_profiles_language_wins_over_the_browser_once_signed_in(client, verified_patient):
    PatientProfile.objects.filter(user=verified_patient).update(preferred_language="de")
    sign_in(client, verified_patient.email)

    response = client.get(reverse("accounts:profile"), headers={"Accept-Language": "en"})

    assert response["Content-Language"] == "de"


def test_saving_the_profile_switches_the_language_at_once(client, patient):
    client.force_login(patient)
    data = {
        "first_name": "Maria",
        "last_name": "Keller",
        "sex": "female",
        "preferred_language": "de",
    }

    response = client.post(reverse("accounts:profile"), data)

    assert response["Content-Language"] == "de"
    assert client.get(response.url)["Content-Language"] == "de"


def test_the_footer_picker_also_works_while_signed_in(client, verified_patient):
    sign_in(client, verified_patient.email)

    pick(client, "de")

    assert client.get(reverse("accounts:profile"))["Content-Language"] == "de"
    # The lasting choice stays in the profile.
    assert PatientProfile.objects.get(user=verified_patient).preferred_language == "en"


def test_staff_without_a_profile_keep_the_language_they_picked(client):
    staff = StaffUserFactory(email="desk@example.test")
    pick(client, "de")

    client.force_login(staff)

    assert SESSION_LANGUAGE_KEY not in client.session
    assert client.get(reverse("accounts:profile"))["Content-Language"] == "de"


def test_after_signing_out_the_profiles_language_no_longer_applies(client, verified_patient):
    PatientProfile.objects.filter(user=verified_patient).update(preferred_language="de")
    sign_in(client, verified_patient.email)

    client.post(reverse("account_logout"))

    assert client.get(PAGE)["Content-Language"] == "en"
