"""Small steps the account tests share: sign in, who is signed in, links in mails."""

import re

from django.urls import reverse

from tests.accounts.factories import PASSWORD

NEW_PASSWORD = "a-long-enough-Passw0rd"


def sign_in(client, email: str, password: str = PASSWORD):
    """Post the sign-in form; returns the response, not followed."""
    return client.post(reverse("account_login"), {"login": email, "password": password})


def sign_up(client, email: str = "lena.vogel@example.test", **overrides):
    """Post the sign-up form for Lena Vogel; returns the response, not followed."""
    data = {
        "email": email,
        "first_name": "Lena",
        "last_name": "Vogel",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }
    return client.post(reverse("account_signup"), data)


def signed_in_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def link_in(mail, path_prefix: str) -> str:
    """The path of the first link in ``mail`` that starts with ``path_prefix``."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}\S*)", mail.body)
    assert match, f"no {path_prefix} link in: {mail.body}"
    return match.group(1)


def h1_count(response) -> int:
    return response.content.decode().count("<h1")
