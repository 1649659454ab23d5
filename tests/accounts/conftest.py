"""Fixtures for the account pages: a verified patient and a rate-limit cache of one's own."""

import uuid

import pytest

from tests.accounts.factories import VerifiedPatientFactory


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test counts rate limits in a cache namespace of its own.

    allauth keeps its counters in the default cache (Redis in tests), which other test
    processes share: a key prefix isolates this test without clearing anybody else's keys.
    """
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, config in settings.CACHES.items()
    }


@pytest.fixture
def verified_patient(db):
    return VerifiedPatientFactory(email="verified.patient@example.test")
