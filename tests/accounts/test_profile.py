"""The profile page: one form, 422 with errors when wrong, post/redirect/get or an htmx fragment."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.middleware import SESSION_LANGUAGE_KEY
from apps.accounts.models import PatientProfile, Sex
from apps.audit.models import AuditEntry
from tests.accounts.factories import StaffUserFactory
from tests.accounts.helpers import h1_count

pytestmark = pytest.mark.django_db

URL = reverse("accounts:profile")
HTMX = {"HX-Request": "true"}


def valid(**overrides) -> dict:
    return {
        "first_name": "Maria",
        "last_name": "Keller",
        "date_of_birth_day": "24",
        "date_of_birth_month": "11",
        "date_of_birth_year": "1988",
        "sex": Sex.FEMALE,
        "phone": "+49 151 2345 6789",
        "preferred_language": "en",
        **overrides,
    }


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient)
    return client


def test_the_profile_page_needs_a_signed_in_person(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={URL}"


def test_the_profile_page_shows_what_we_know(signed_in, patient):
    PatientProfile.objects.filter(user=patient).update(
        date_of_birth=date(1988, 11, 24), phone="+49 30 1234 5678"
    )

    response = signed_in.get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert h1_count(response) == 1
    assert f'value="{patient.first_name}"' in page
    assert 'name="date_of_birth_day" value="24"' in page
    assert 'name="date_of_birth_year" value="1988"' in page
    assert 'value="+49 30 1234 5678"' in page
    assert "Save profile" in page


def test_saving_the_profile_writes_it_and_redirects_with_a_message(signed_in, patient):
    response = signed_in.post(URL, valid())

    assert response.status_code == 302
    assert response.url == URL
    profile = PatientProfile.objects.select_related("user").get(user=patient)
    assert (profile.user.first_name, profile.user.last_name) == ("Maria", "Keller")
    assert profile.date_of_birth == date(1988, 11, 24)
    assert (profile.sex, profile.phone) == (Sex.FEMALE, "+49 151 2345 6789")
    assert "Your profile has been saved." in signed_in.get(URL).content.decode()


def test_saving_the_profile_leaves_an_audit_entry_of_what_changed(signed_in, patient):
    signed_in.post(URL, valid(phone=""))

    entry = AuditEntry.objects.get(action="patient_profile.update")
    assert entry.actor == patient
    assert entry.changes["date_of_birth"] == [None, "1988-11-24"]
    assert entry.changes["first_name"][1] == "Maria"
    assert "phone" not in entry.changes


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "Enter your first name"),
        ({"date_of_birth_year": "2999"}, "date_of_birth", "must be today or in the past"),
        ({"date_of_birth_year": "1899"}, "date_of_birth", "must be in 1900 or later"),
        ({"date_of_birth_day": "31", "date_of_birth_month": "2"}, "date_of_birth", "real date"),
        ({"date_of_birth_month": ""}, "date_of_birth", "must include a day, a month and a year"),
        ({"date_of_birth_year": "88"}, "date_of_birth", "Year must include 4 numbers"),
        ({"phone": "call me"}, "phone", "Enter a phone number"),
        ({"sex": "robot"}, "sex", "Select a valid choice"),
        ({"preferred_language": "fr"}, "preferred_language", "Select a valid choice"),
    ],
)
def test_a_wrong_answer_gets_422_with_the_error_by_its_field_and_changes_nothing(
    signed_in, patient, overrides, field, message
):
    response = signed_in.post(URL, valid(**overrides))

    page = response.content.decode()
    assert response.status_code == 422
    assert 'class="error-summary"' in page
    assert f'<a href="#id_{field}">' in page
    assert f'id="id_{field}_error"' in page
    assert message in page
    assert "<html" in page
    assert not AuditEntry.objects.filter(action__startswith="patient_profile").exists()
    assert PatientProfile.objects.get(user=patient).date_of_birth is None


def test_a_wrong_date_is_shown_as_typed(signed_in):
    response = signed_in.post(URL, valid(date_of_birth_day="31", date_of_birth_month="2"))

    page = response.content.decode()
    assert 'name="date_of_birth_day" value="31"' in page
    assert 'name="date_of_birth_month" value="2"' in page


@pytest.mark.parametrize("born", [date(1900, 1, 1), "today"])
def test_the_oldest_and_the_newest_dates_of_birth_are_accepted(signed_in, patient, born):
    born = timezone.localdate() if born == "today" else born

    response = signed_in.post(URL, valid(date_of_birth=born.isoformat()))

    assert response.status_code == 302
    assert PatientProfile.objects.get(user=patient).date_of_birth == born


def test_tomorrow_is_not_a_date_of_birth(signed_in):
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = signed_in.post(URL, valid(date_of_birth=tomorrow.isoformat()))

    assert response.status_code == 422


def test_htmx_gets_the_form_fragment_with_a_confirmation_and_an_event(signed_in, patient):
    response = signed_in.post(URL, valid(), headers=HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert "<h1" not in page
    assert "Your profile has been saved." in page
    assert 'hx-post="/account/profile/"' in page
    assert response["HX-Trigger"] == "profile-saved"
    assert "HX-Request" in response["Vary"]
    assert PatientProfile.objects.get(user=patient).sex == Sex.FEMALE


def test_htmx_gets_the_fragment_with_errors_and_422(signed_in):
    response = signed_in.post(URL, valid(first_name=""), headers=HTMX)

    page = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in page
    assert "Enter your first name" in page


def test_htmx_reloads_the_whole_page_when_the_language_changes(signed_in):
    response = signed_in.post(URL, valid(preferred_language="de"), headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == URL
    assert signed_in.session[SESSION_LANGUAGE_KEY] == "de"


def test_the_page_and_a_save_take_a_bounded_number_of_queries(
    signed_in, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        signed_in.get(URL)
    with django_assert_max_num_queries(5):
        signed_in.get(URL, headers=HTMX)
    with django_assert_max_num_queries(12):
        signed_in.post(URL, valid())


def test_staff_without_a_patient_profile_are_told_and_get_one_on_first_save(client):
    staff = StaffUserFactory(email="desk@example.test")
    client.force_login(staff)

    page = client.get(URL)
    saved = client.post(URL, valid(first_name="Sabine"))

    assert "You do not have a patient profile yet" in page.content.decode()
    assert saved.status_code == 302
    assert PatientProfile.objects.get(user=staff).sex == Sex.FEMALE
    assert AuditEntry.objects.get(action="patient_profile.create").actor == staff
    staff.refresh_from_db()
    assert staff.is_staff
