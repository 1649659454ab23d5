import pytest
from allauth.account.models import EmailAddress


def verify(user):
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


@pytest.fixture
def verified_patient(patient):
    return verify(patient)


@pytest.fixture
def patient_client(client, verified_patient):
    client.force_login(verified_patient)
    return client
