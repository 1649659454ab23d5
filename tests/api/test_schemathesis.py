"""The API against its own OpenAPI schema: schemathesis over real HTTP.

``schemathesis run`` (the command a CI job or a developer runs) drives the live server
from a subprocess, with the examples, coverage and fuzzing phases and every check: no 5xx,
documented status codes, content types, headers and response schemas, schema-valid input
accepted and invalid input refused, authentication not ignored. It runs once as patient A
and once as a receptionist of A's clinic, and a check of ours fails when any answer
carries patient B's booking reference or email address: B's data is nobody else's to see
(DESIGN.md invariant 7). B books at another clinic, so the receptionist has no business
with it either.

The live server is pytest-django's threaded server on the test database, so the tests are
transactional: the data built here is committed and the server threads see it. The seed
is fixed so a failure reproduces; set CLINIX_SCHEMATHESIS_SEED to explore other inputs.
"""

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from apps.accounts.models import ApiToken
from apps.accounts.roles import Role
from apps.accounts.services import api_token_create, user_set_role
from apps.bookings import services as booking_services
from tests.accounts.factories import PatientFactory, UserFactory
from tests.clinics.factories import ClinicMembershipFactory
from tests.conftest import build_world
from tests.portal.conftest import verify
from tests.processes import clean_env

pytestmark = pytest.mark.slow

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
SEED = os.environ.get("CLINIX_SCHEMATHESIS_SEED", "20261124")
MAX_EXAMPLES = 15

# Hooks for the schemathesis process (a file it loads; it cannot import Django).
HOOKS = '''
import json
import os
import re

import schemathesis

FORBIDDEN = json.loads(os.environ["CLINIX_FORBIDDEN"])
KEEP_TOKEN_ID = os.environ["CLINIX_KEEP_TOKEN_ID"]


@schemathesis.check
def no_other_patients_data(ctx, response, case):
    """No answer carries another patient's booking reference or email address."""
    body = response.content.decode(errors="replace")
    leaked = [value for value in FORBIDDEN if value in body]
    if leaked:
        raise AssertionError(f"The answer carries another patient's data: {leaked}")


@schemathesis.hook
def before_call(context, case, kwargs):
    # Schemathesis reuses ids it saw in answers: revoking the token this run signs in with
    # would turn the rest of the run into 401s. Revoke a token nobody has instead.
    if case.method == "DELETE" and str(case.path_parameters.get("id")) == KEEP_TOKEN_ID:
        case.path_parameters["id"] = 0
'''

CONFIG = """
[checks.positive_data_acceptance]
# Valid JSON can still break a business rule the schema cannot state (a slot of another
# doctor, a time too soon, a key used with another body): that is a documented 422.
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

# Rules on a field's value that JSON Schema cannot state answer 400 with the field named:
# date_from and date_to may each be valid but span too many days together; a date of birth
# is between 1900 and today.
[[operations]]
include-path = "/api/v1/slots/"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx",
]

[[operations]]
include-path = "/api/v1/me/"
include-method = "PATCH"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx",
]
"""


@dataclass
class ApiData:
    tokens: dict[str, ApiToken]
    secrets: dict[str, str]
    reference: str  # patient A's booking, in the receptionist's clinic
    ids: dict[str, int]  # a clinic, doctor and service that exist
    forbidden: list[str]  # patient B's booking reference and email address


@pytest.fixture
def api_data(live_server, settings) -> ApiData:
    """Patients A and B with a booking each, in two clinics; a receptionist of A's clinic."""
    # Schemathesis sends a few thousand requests from one address in a minute.
    settings.API_THROTTLE_RATES = {
        "user": "1000000/min",
        "ip": "1000000/min",
        "booking-writes": "1000000/min",
    }
    world = build_world(slot_count=12)
    other = build_world(slot_count=4)
    a = verify(PatientFactory(email="patient.a@example.test"))
    b = verify(PatientFactory(email="patient.b@example.test"))
    a_booking = booking_services.booking_create(
        patient=a, slot_id=world.slots[0].pk, service_id=world.service.pk
    )
    b_booking = booking_services.booking_create(
        patient=b, slot_id=other.slots[0].pk, service_id=other.service.pk
    )
    staff = UserFactory(email="reception.a@example.test")
    user_set_role(user=staff, role=Role.RECEPTIONIST)
    ClinicMembershipFactory(user=staff, clinic=world.clinic, role=Role.RECEPTIONIST)
    tokens, secrets = {}, {}
    for persona, user in {"patient": a, "staff": staff}.items():
        tokens[persona], secrets[persona] = api_token_create(user=user, name="schemathesis")
    return ApiData(
        tokens=tokens,
        secrets=secrets,
        reference=a_booking.reference,
        ids={"clinics": world.clinic.pk, "doctors": world.doctor.pk, "services": world.service.pk},
        forbidden=[b_booking.reference, b.email],
    )


class Run:
    """``schemathesis run`` in a subprocess, its output in a file."""

    def __init__(
        self,
        base_url: str,
        data: ApiData,
        persona: str,
        folder: Path,
        *options: str,
        forbidden: list[str] | None = None,
    ):
        folder.mkdir()
        (folder / "hooks.py").write_text(HOOKS)
        config = CONFIG + f'\n[parameters]\n"path.reference" = "{data.reference}"\n'
        for collection, pk in data.ids.items():
            config += (
                f'\n[[operations]]\ninclude-path = "/api/v1/{collection}/{{id}}/"\n'
                f"parameters = {{ id = {pk} }}\n"
            )
        (folder / "schemathesis.toml").write_text(config)
        self.log = folder / "output.txt"
        env = clean_env(
            SCHEMATHESIS_HOOKS=str(folder / "hooks.py"),
            CLINIX_FORBIDDEN=json.dumps(data.forbidden if forbidden is None else forbidden),
            CLINIX_KEEP_TOKEN_ID=str(data.tokens[persona].pk),
        )
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [
                    SCHEMATHESIS,
                    "--config-file",
                    str(folder / "schemathesis.toml"),
                    "--no-color",
                    "run",
                    f"{base_url}/api/schema/",
                    "--header",
                    f"Authorization: Token {data.secrets[persona]}",
                    "--seed",
                    SEED,
                    "--generation-database",
                    "none",
                    # One worker: Python 3.11's ast module is not thread-safe, and hypothesis
                    # parses source while it builds strategies ("SystemError: AST constructor
                    # recursion depth mismatch"). The personas run side by side instead.
                    "--workers",
                    "1",
                    "--request-timeout",
                    "30",
                    *options,
                ],
                cwd=folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def wait(self) -> tuple[int, str]:
        try:
            code = self.process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        return code, self.log.read_text(errors="replace")


def test_the_api_keeps_its_schema_and_shows_nobody_another_patients_data(
    live_server, api_data, tmp_path
):
    runs = {
        persona: Run(
            live_server.url,
            api_data,
            persona,
            tmp_path / persona,
            "--phases",
            "examples,coverage,fuzzing",
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
        )
        for persona in ["patient", "staff"]
    }

    for persona, run in runs.items():
        code, output = run.wait()
        assert code == 0, f"as {persona}:\n{output}"
        selected, total, tested = re.search(
            r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", output
        ).groups()
        assert selected == total == tested, output  # every operation ran
        # The run kept its credentials to the end (see the before_call hook).
        api_data.tokens[persona].refresh_from_db()
        assert api_data.tokens[persona].revoked_at is None


def test_the_leak_check_catches_a_leak(live_server, api_data, tmp_path):
    """The check above can fail: here A's own email address counts as another's."""
    run = Run(
        live_server.url,
        api_data,
        "patient",
        tmp_path / "patient",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        "1",
        "--include-name",
        "GET /api/v1/me/",
        forbidden=["patient.a@example.test"],
    )

    code, output = run.wait()
    assert code == 1, output
    assert "The answer carries another patient's data" in output, output
