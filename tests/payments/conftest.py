"""Fixtures for the payments tests."""

import sys
from pathlib import Path

import pytest

from tests.processes import clean_env, free_port, http_status, start, wait_for

LOCALSTRIPE = Path(sys.executable).parent / "localstripe"


@pytest.fixture(scope="session")
def localstripe_server(tmp_path_factory):
    """A localstripe process (a fake Stripe API) for the whole session; its URL.

    One process serves every test: each test makes objects of its own, so none sees
    another's. --from-scratch: never load what an earlier run left in its store file.
    """
    port = free_port()
    process = start(
        [str(LOCALSTRIPE), "--port", str(port), "--from-scratch"],
        env=clean_env(),
        log=tmp_path_factory.mktemp("localstripe") / "localstripe.log",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # Any answer will do (401 without a key): the server is listening.
        wait_for(
            lambda: http_status(f"{url}/v1/charges") is not None,
            timeout=30,
            what="localstripe",
            process=process,
        )
        yield url
    finally:
        process.stop()


@pytest.fixture
def localstripe(localstripe_server, settings):
    """Point the Stripe gateway at localstripe and make it the configured gateway."""
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_API_BASE = localstripe_server
    settings.STRIPE_SECRET_KEY = "sk_test_clinix"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_clinix"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_clinix"
    return localstripe_server
