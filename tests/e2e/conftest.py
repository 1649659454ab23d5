"""Browser tests: real Chromium (Debian's, not Playwright's download) against the live server.

pytest-django's ``live_server`` is a threaded server on the test database, so every test
here is transactional: data the test writes is committed, and the server threads see it.

Playwright's sync API keeps an asyncio loop running in the main thread while a browser is
open, and Django refuses ORM calls from a thread with a running loop
(SynchronousOnlyOperation). That loop only drives the browser and the ORM calls here are
plain blocking calls, so the check is switched off, but only while a browser is open: one
browser per test module, so the rest of the suite in the same process keeps the check.
"""

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

CHROMIUM = os.environ.get("CLINIX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}

# Auto-waiting assertions: generous for a loaded CI machine, still quick to fail.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """allauth counts rate limits (sign-ups, sign-ins per IP) in the default cache, Redis in
    tests, which other test processes share, all from 127.0.0.1: a key prefix of its own
    keeps this test's counters apart without clearing anybody else's keys."""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"e2e-{uuid.uuid4().hex}"}
        for name, config in settings.CACHES.items()
    }


@pytest.fixture
def new_context(browser, live_server) -> Iterator[Callable[..., BrowserContext]]:
    """Make browser contexts (separate cookie jars) on the live server; ``user=`` starts
    signed in as that user, through a session made on the server side (the sign-in form
    itself is tested once, in test_accounts)."""
    contexts: list[BrowserContext] = []

    def make(user=None, viewport: dict | None = None) -> BrowserContext:
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport or DESKTOP, accept_downloads=True
        )
        context.set_default_timeout(10_000)
        if user is not None:
            sign_in_cookie(context, user, live_server.url)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context) -> Page:
    """A signed-out visitor."""
    return new_context().new_page()


def sign_in_cookie(context: BrowserContext, user, url: str) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": url}]
    )
