"""patient_create_by_staff: a patient with a profile and no password, on the record;
an address already in use, or no way to reach the person, changes nothing."""

import pytest

from apps.accounts.exceptions import EmailAlreadyUsed, PatientUnreachable
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import PLACEHOLDER_EMAIL_DOMAIN, patient_create_by_staff
from apps.audit.models import AuditEntry
from tests.accounts.factories import PatientFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def create(**overrides):
    values = {
        "email": "new.patient@example.test",
        "first_name": " Mia ",
        "last_name": "Klein",
        "date_of_birth": None,
        "sex": "female",
        "phone": "",
        "preferred_language": "en",
        **overrides,
    }
    if "actor" not in values:
        values["actor"] = StaffUserFactory()
    return patient_create_by_staff(**values)


def test_creates_a_patient_without_a_usable_password_and_records_who():
    actor = StaffUserFactory()
    user = create(actor=actor, email="New.Patient@Example.test")
    assert user.email == "new.patient@example.test"
    assert user.first_name == "Mia"
    assert user.role == Role.PATIENT
    assert not user.is_staff
    assert not user.has_usable_password()
    assert user.patient_profile.sex == "female"
    entry = AuditEntry.objects.get(action="patient.create_by_staff")
    assert (entry.actor, entry.target_id) == (actor, str(user.pk))


def test_two_phone_patients_get_distinct_placeholders():
    first = create(email="", phone="030 1")
    second = create(email="", phone="030 2")
    assert first.email != second.email
    assert first.email.endswith(PLACEHOLDER_EMAIL_DOMAIN)


def test_an_address_in_use_is_refused_and_nothing_is_written():
    PatientFactory(email="taken@example.test")
    actor = StaffUserFactory()
    count = User.objects.count()
    with pytest.raises(EmailAlreadyUsed):
        create(email="TAKEN@example.test", actor=actor)
    assert User.objects.count() == count
    assert not AuditEntry.objects.filter(action="patient.create_by_staff").exists()


def test_neither_email_nor_phone_is_refused():
    with pytest.raises(PatientUnreachable):
        create(email="", phone="  ")
    assert not User.objects.filter(last_name="Klein").exists()
