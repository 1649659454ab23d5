"""Account reads: whether someone confirmed an address; their profile and language."""

import pytest
from django.contrib.auth.models import AnonymousUser

from apps.accounts import selectors
from tests.accounts.factories import EmailAddressFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_patient_with_a_confirmed_address_has_a_verified_email(
    verified_patient, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert selectors.user_has_verified_email(verified_patient)


def test_an_unconfirmed_address_is_not_a_verified_email(patient):
    EmailAddressFactory(user=patient, verified=False)

    assert not selectors.user_has_verified_email(patient)


def test_someone_elses_confirmed_address_does_not_count(patient, verified_patient):
    assert not selectors.user_has_verified_email(patient)


def test_a_confirmed_second_address_counts(patient):
    EmailAddressFactory(user=patient, verified=False)
    EmailAddressFactory(user=patient, email="second@example.test", verified=True, primary=False)

    assert selectors.user_has_verified_email(patient)


def test_visitors_have_no_verified_email_and_cost_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert not selectors.user_has_verified_email(AnonymousUser())


def test_the_preferred_language_comes_from_the_profile_or_is_none():
    patient = PatientFactory(profile__preferred_language="de")
    staff = UserFactory()

    assert selectors.patient_preferred_language(user=patient) == "de"
    assert selectors.patient_preferred_language(user=staff) is None
    assert selectors.patient_profile_get(user=staff) is None
