"""Account services for patients: registering from the website and keeping a profile."""

from datetime import date

import pytest

from apps.accounts.models import PatientProfile, Sex
from apps.accounts.roles import Role
from apps.accounts.services import patient_profile_update, patient_register
from apps.audit.models import AuditEntry
from tests.accounts.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

PROFILE = {
    "first_name": "Maria",
    "last_name": "Keller",
    "date_of_birth": date(1988, 11, 24),
    "sex": Sex.FEMALE,
    "phone": "",
    "preferred_language": "de",
}


def test_patient_register_makes_a_patient_never_staff_with_a_profile_in_their_language():
    user = patient_register(
        email="Lena.Vogel@Example.test",
        password="a-long-enough-Passw0rd",
        first_name="Lena",
        last_name="Vogel",
        preferred_language="de",
    )

    assert user.email == "lena.vogel@example.test"
    assert (user.role, user.is_staff, user.is_superuser) == (Role.PATIENT, False, False)
    assert not user.groups.exists()
    assert user.patient_profile.preferred_language == "de"
    entry = AuditEntry.objects.get(action="patient.register")
    assert entry.actor == user


def test_patient_profile_update_saves_name_and_profile_and_audits_the_difference(patient):
    profile = patient_profile_update(user=patient, actor=patient, **PROFILE)

    stored = PatientProfile.objects.select_related("user").get(pk=profile.pk)
    assert stored.user.first_name == "Maria"
    assert (stored.date_of_birth, stored.sex, stored.preferred_language) == (
        date(1988, 11, 24),
        Sex.FEMALE,
        "de",
    )
    entry = AuditEntry.objects.get(action="patient_profile.update")
    assert entry.changes["preferred_language"] == ["en", "de"]
    assert entry.changes["sex"] == [Sex.UNDISCLOSED, Sex.FEMALE]
    assert "phone" not in entry.changes


def test_saving_an_unchanged_profile_writes_no_audit_entry(patient):
    patient_profile_update(user=patient, actor=patient, **PROFILE)

    patient_profile_update(user=patient, actor=patient, **PROFILE)

    assert AuditEntry.objects.filter(action__startswith="patient_profile").count() == 1


def test_patient_profile_update_creates_the_profile_someone_did_not_have():
    staff = StaffUserFactory()

    patient_profile_update(user=staff, actor=staff, **PROFILE)

    assert PatientProfile.objects.get(user=staff).preferred_language == "de"
    assert AuditEntry.objects.get(action="patient_profile.create").target_id == str(
        staff.patient_profile.pk
    )
