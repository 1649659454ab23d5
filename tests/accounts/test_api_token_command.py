from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.audit.models import AuditEntry


def command(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def me(secret: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client.get("/api/v1/me/").status_code


def test_create_prints_only_a_working_secret(patient):
    secret, note = command(
        "create", "PATIENT@example.test", "--name", "ci", "--expires-in-days", "7"
    )

    assert secret.startswith("clx_")
    assert "\n" not in secret
    assert "shown only now" in note
    token = ApiToken.objects.get(user=patient)
    assert token.name == "ci"
    assert token.expires_at is not None
    assert me(secret) == 200
    entry = AuditEntry.objects.get(action="api_token.create")
    assert entry.actor_label == patient.email


def test_list_shows_states_never_secrets(patient):
    secret, _ = command("create", patient.email)
    token = ApiToken.objects.get()

    listing, _ = command("list", patient.email)

    assert f"{token.pk}\t{token.prefix}…\tactive\tcommand line" in listing
    assert secret not in listing


def test_revoke_stops_the_token_and_is_audited_as_the_command(patient):
    secret, _ = command("create", patient.email)
    token = ApiToken.objects.get()

    done, _ = command("revoke", patient.email, str(token.pk))

    assert "revoked" in done
    assert me(secret) == 401
    assert AuditEntry.objects.get(action="api_token.revoke").actor_label == "job:api_token"


def test_another_users_token_cannot_be_revoked_through_their_address(patient, other_patient):
    command("create", other_patient.email)
    token = ApiToken.objects.get()

    with pytest.raises(CommandError, match="has no token"):
        command("revoke", patient.email, str(token.pk))

    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "nobody@example.test"], "No active user"),
        (["create", "patient@example.test", "--expires-in-days", "0"], "between 1 and 3650"),
        (["create", "patient@example.test", "--name", "  "], "must not be blank"),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(patient, args, message):
    with pytest.raises(CommandError, match=message):
        command(*args)

    assert not ApiToken.objects.exists()
