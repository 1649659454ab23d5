"""Fixtures for the account pages: a verified patient."""

import pytest

from tests.accounts.factories import VerifiedPatientFactory


@pytest.fixture
def verified_patient(db):
    return VerifiedPatientFactory(email="verified.patient@example.test")
