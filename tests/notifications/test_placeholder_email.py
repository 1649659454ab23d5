"""A patient booked by phone without an e-mail address has a placeholder under ``.invalid``:
they get in-app messages (and SMS when they ask for it), never an e-mail."""

import pytest

from apps.accounts.services import is_placeholder_email, patient_create_by_staff
from apps.notifications import services
from apps.notifications.models import Channel
from tests.accounts.factories import PatientFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def phone_patient():
    return patient_create_by_staff(
        email="",
        first_name="Ida",
        last_name="Brandt",
        date_of_birth=None,
        sex="female",
        phone="030 555 1212",
        preferred_language="de",
        actor=StaffUserFactory(),
    )


def test_no_email_channel_for_a_placeholder_address():
    patient = phone_patient()
    assert is_placeholder_email(patient.email)
    assert services.channels_for(patient) == [Channel.IN_APP]


def test_real_addresses_still_get_email():
    assert Channel.EMAIL in services.channels_for(PatientFactory())


@pytest.mark.parametrize(
    ("address", "placeholder"),
    [
        ("x1@no-email.clinix.invalid", True),
        ("someone@host.INVALID", True),
        ("someone@invalid.example.com", False),
        ("someone@example.test", False),
    ],
)
def test_only_the_reserved_top_level_domain_counts(address, placeholder):
    assert is_placeholder_email(address) is placeholder
