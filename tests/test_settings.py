"""Production settings: Django's deploy checks pass, a missing SECRET_KEY stops the start, and
the Celery and database settings that reliability depends on are in place.

The subprocess tests build their environment from scratch: pytest-env sets DEBUG=true for the
suite, and a developer's shell may set anything, so nothing but the OS basics is inherited.
"""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from clinix.celery import app
from tests.processes import PROJECT_ROOT

# What the interpreter and the C library may need; no setting of Clinix is among them.
OS_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT", "TZ")


def production_env(**overrides: str) -> dict[str, str]:
    """A production-like environment, the way docs/operations.md tells operators to set it.

    settings.py also reads a developer's `.env`, but only for variables not set here; the
    `.env` that `make run` writes holds just DEBUG and SECRET_KEY, both set explicitly below.
    """
    env = {key: value for key, value in os.environ.items() if key in OS_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="clinix.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="clinix.example.com",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/clinix",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- Django's deployment checks ----------------------------------------------------------------


@pytest.mark.slow
def test_deploy_checks_pass_with_production_values():
    # `check --deploy` does not connect to the database, so the URL only has to parse.
    done = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert done.returncode == 0, f"deploy check failed:\n{done.stdout}\n{done.stderr}"
    assert "no issues" in done.stdout


@pytest.mark.slow
def test_deploy_checks_fail_when_a_production_default_is_weakened():
    # Proves the test above can fail: without HSTS, Django warns (security.W004) and
    # --fail-level WARNING turns the warning into a non-zero exit.
    done = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(SECURE_HSTS_SECONDS="0"),
    )

    assert done.returncode != 0
    assert "security.W004" in done.stdout + done.stderr


@pytest.mark.slow
def test_settings_refuse_to_start_without_a_secret_key_when_debug_is_off():
    # SECRET_KEY is set, but empty: an unset one could be filled in from a developer's .env.
    done = manage("check", env=production_env(SECRET_KEY=""))

    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "SECRET_KEY" in done.stderr


# --- Celery -----------------------------------------------------------------------------------


def test_celery_accepts_and_sends_json_only():
    # pickle would let anyone who can write to the broker run code in the worker.
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]
    assert app.conf.result_accept_content in (None, ["json"])  # None: same as accept_content


def test_celery_acknowledges_late_and_requeues_tasks_of_a_lost_worker():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True


def test_celery_workers_reserve_one_task_at_a_time():
    # With acks_late, prefetched tasks wait behind a long one and are redelivered together
    # if the worker dies; a multiplier of 1 keeps that to the task being run.
    assert app.conf.worker_prefetch_multiplier == 1


def test_celery_time_limits_end_a_task_before_the_broker_would_redeliver_it():
    transport_options = app.conf.broker_transport_options or {}
    if "visibility_timeout" not in transport_options:
        pytest.skip(f"broker {app.conf.broker_url.split(':')[0]}:// has no visibility timeout")

    soft, hard = app.conf.task_soft_time_limit, app.conf.task_time_limit

    assert 0 < soft < hard
    # An unacknowledged task (acks_late) goes back to the queue after the visibility timeout:
    # one still running then would run twice at the same time.
    assert hard < transport_options["visibility_timeout"]


# --- Database -----------------------------------------------------------------------------------


def test_postgresql_connections_are_persistent_and_health_checked():
    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql", "tests run on PostgreSQL"

    assert database["CONN_MAX_AGE"] > 0
    # A persistent connection that the server closed (restart, failover, idle timeout) is
    # replaced before the request uses it, instead of failing the request.
    assert database["CONN_HEALTH_CHECKS"] is True
