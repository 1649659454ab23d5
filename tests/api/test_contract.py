"""The API's promises: problem JSON everywhere, documented schema, health checks."""

import pytest
from django.test import Client

from apps.api.problems import all_problem_types
from clinix.celery import app
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


def test_unknown_api_urls_answer_problem_json_not_html(anon):
    assert_problem(anon.get("/api/v1/no-such-thing/"), 404, "not-found")
    assert_problem(anon.get("/api/v2/"), 404, "not-found")


def test_unsupported_methods_answer_405_with_allow(anon, world):
    response = anon.delete("/api/v1/slots/")

    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response["Allow"]


def test_every_problem_type_uri_describes_itself(anon):
    for code, problem in all_problem_types().items():
        body = anon.get(f"/api/problems/{code}").json()
        assert body["status"] == problem.status
        assert body["type"] == f"/api/problems/{code}"
    assert anon.get("/api/problems/slot-unavailable").json()["status"] == 409


def test_the_schema_documents_every_endpoint_and_its_errors(anon):
    response = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    schema = response.json()
    paths = schema["paths"]
    for path in [
        "/api/v1/clinics/",
        "/api/v1/services/",
        "/api/v1/doctors/",
        "/api/v1/slots/",
        "/api/v1/bookings/",
        "/api/v1/bookings/{reference}/cancel/",
        "/api/v1/bookings/{reference}/reschedule/",
        "/api/v1/me/",
        "/api/v1/me/tokens/",
        "/api/v1/me/tokens/{id}/",
        "/api/v1/staff/bookings/",
        "/api/v1/staff/bookings/{reference}/check-in/",
        "/api/v1/staff/bookings/{reference}/no-show/",
        "/api/v1/staff/bookings/{reference}/complete/",
    ]:
        assert path in paths, path
    create = paths["/api/v1/bookings/"]["post"]
    assert {"201", "400", "401", "403", "409", "415", "422", "429"} <= set(create["responses"])
    assert "application/problem+json" in create["responses"]["409"]["content"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert {"personalToken", "oidcBearer", "session"} <= set(
        schema["components"]["securitySchemes"]
    )
    for path_item in paths.values():
        for operation in path_item.values():
            assert operation.get("summary") or operation.get("description"), operation


def test_swagger_ui_is_served_without_a_cdn(anon):
    page = anon.get("/api/docs/").content.decode()

    assert "swagger-ui" in page
    assert "cdn.jsdelivr" not in page
    assert "unpkg.com" not in page


def test_healthz_is_alive_and_readyz_checks_database_and_broker():
    client = Client()

    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_says_503_when_the_broker_is_down(monkeypatch):
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    assert app.connection_for_write().as_uri().endswith("127.0.0.1:1/0")

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")
    assert response.json()["checks"]["database"] == "ok"


def test_health_checks_are_exempt_from_the_https_redirect(settings):
    settings.SECURE_SSL_REDIRECT = True

    assert Client().get("/healthz").status_code == 200
    assert Client().get("/api/v1/clinics/").status_code == 301
