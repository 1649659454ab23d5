"""Availability at scale: the free-slot questions people ask, through the API view stack
in-process (Django's test client: no network, the whole view, serializer and queries).

    python -m bench.availability [--samples 30] [--json out.json]

- a doctor's week: ``/api/v1/slots/?doctor=&service=`` over 7 days (the exact check that
  the visit fits, with buffers);
- a clinic's day: ``/api/v1/slots/?clinic=`` for one local day;
- first available for a specialty across all clinics:
  ``/api/v1/slots/?specialty=&first_available=true`` (the next 7 days).

Each sample asks about another doctor, clinic or specialty. Prints p50/p95 latency, the
SQL queries per request, and the key lines of EXPLAIN (ANALYZE, BUFFERS) of each query.
"""

import random
import time
from datetime import datetime, timedelta
from urllib.parse import urlencode

from bench.common import parser, percentiles, setup_django, show, write

PLAN_KEYS = ("Index", "Seq Scan", "Bitmap", "Execution Time", "Planning Time", "Sort Method")


def run(*, samples: int = 30, seed: int = 1) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from apps.clinics.models import Clinic
    from apps.demo.bench_world import MARKER_SLUG, SPECIALTIES
    from bench import actors

    rng = random.Random(seed)
    client = Client()
    now = timezone.now()
    services = actors.services_by_clinic()
    doctors = list(
        actors.Doctor.objects.filter(pk__in=actors.bench_doctor_ids())
        .values_list("pk", "services__clinic_id")
        .distinct()
    )
    clinics = list(Clinic.objects.filter(slug__startswith=MARKER_SLUG.rsplit("-", 1)[0]))

    def doctor_week() -> str:
        doctor, clinic = rng.choice(doctors)
        return _url(
            doctor=doctor,
            service=services[clinic][20].pk,
            date_from=now.isoformat(),
            date_to=(now + timedelta(days=7)).isoformat(),
        )

    def clinic_day() -> str:
        clinic = rng.choice(clinics)
        day = (now + timedelta(days=rng.randrange(1, 14))).astimezone(clinic.tz).date()
        start = datetime.combine(day, datetime.min.time(), tzinfo=clinic.tz)
        return _url(
            clinic=clinic.pk,
            date_from=start.isoformat(),
            date_to=(start + timedelta(days=1)).isoformat(),
        )

    def first_available() -> str:
        return _url(specialty=rng.choice(SPECIALTIES)[0], first_available="true")

    results = {}
    for name, make_url in (
        ("doctor_week", doctor_week),
        ("clinic_day", clinic_day),
        ("first_available_specialty", first_available),
    ):
        client.get(make_url())  # warm: imports, connection, plan cache
        latencies, queries, sizes = [], [], []
        last_queries = []
        for _ in range(samples):
            url = make_url()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}: {response.content}")
            queries.append(len(captured))
            sizes.append(response.json()["count"])
            last_queries = [q["sql"] for q in captured.captured_queries]
        results[name] = {
            "samples": samples,
            "latency": percentiles(latencies),
            "queries_per_request": max(queries),
            "slots_found_median": sorted(sizes)[len(sizes) // 2],
            "example": url,
            "plans": [_plan(sql) for sql in last_queries if sql.lstrip().startswith("SELECT")],
        }
    return {"availability": results}


def _url(**params) -> str:
    return "/api/v1/slots/?" + urlencode(params)


def _plan(sql: str) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        lines = [row[0] for row in cursor.fetchall()]
    key = [line.rstrip() for line in lines if any(k in line for k in PLAN_KEYS)]
    return {"query": sql[:160] + ("…" if len(sql) > 160 else ""), "key_lines": key[:14]}


def main() -> None:
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--samples", type=int, default=30)
    options = args.parse_args()
    setup_django()
    results = run(samples=options.samples)
    for name, figures in results["availability"].items():
        plans = figures.pop("plans")
        show(f"Availability: {name}", figures)
        for plan in plans:
            print(f"  plan of {plan['query']}")
            for line in plan["key_lines"]:
                print(f"      {line}")
        figures["plans"] = plans
    write(options.json, results)


if __name__ == "__main__":
    main()
