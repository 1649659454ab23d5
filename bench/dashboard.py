"""Dashboard aggregates at scale: each metric for the world's 90 days, for all clinics
(a platform admin's view) and for one clinic (a manager's), plus the whole page's data.

    python -m bench.dashboard [--repeat 3] [--json out.json]

Calls the dashboard's own functions in-process (apps/dashboard), as the page does, and
times each; the figure is the median of ``--repeat`` runs, with the slowest and the
number of SQL queries.
"""

import time

from bench.common import parser, setup_django, show, write


def run(*, repeat: int = 3) -> dict:
    from django.db import connection
    from django.db.models import Max, Min
    from django.test.utils import CaptureQueriesContext

    from apps.bookings.models import Booking
    from apps.clinics.models import Clinic
    from apps.dashboard import bookings_metrics, patient_metrics, revenue_metrics
    from apps.dashboard.panels import Dashboard
    from apps.dashboard.scope import Granularity, Scope
    from apps.demo.bench_world import MARKER_SLUG

    bench = Clinic.objects.filter(slug__startswith=MARKER_SLUG.rsplit("-", 1)[0]).order_by("pk")
    span = Booking.objects.filter(clinic__in=bench).aggregate(
        low=Min("starts_at"), high=Max("starts_at")
    )
    if span["low"] is None:
        raise RuntimeError("No bench world: run `manage.py bench_world` first.")
    first, last = span["low"].date(), span["high"].date()
    metrics = {
        "bookings_over_time": bookings_metrics.bookings_over_time,
        "lead_time": bookings_metrics.lead_time,
        "top_services": bookings_metrics.top_services,
        "top_doctors": bookings_metrics.top_doctors,
        "doctor_utilisation": bookings_metrics.doctor_utilisation,
        "revenue_over_time": revenue_metrics.revenue_over_time,
        "discount_quota_usage": lambda s: revenue_metrics.discount_quota_usage(
            s, show_platform=True
        ),
        "new_vs_returning": patient_metrics.new_vs_returning,
        "demographics": patient_metrics.demographics,
        "whole_page": lambda s: Dashboard(s, show_platform_quota=True).tables(),
    }
    results = {"days": (last - first).days + 1, "date_from": first, "date_to": last}
    for label, clinics in (("all_clinics", bench), ("one_clinic", bench[:1])):
        scope = Scope(
            clinics=Clinic.objects.filter(pk__in=list(clinics.values_list("pk", flat=True))),
            date_from=first,
            date_to=last,
            granularity=Granularity.WEEK,
        )
        rows = {}
        for name, metric in metrics.items():
            timings, queries = [], 0
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    metric(scope)
                    timings.append(time.perf_counter() - started)
                queries = len(captured)
            timings.sort()
            rows[name] = {
                "median_ms": round(timings[len(timings) // 2] * 1000, 1),
                "max_ms": round(timings[-1] * 1000, 1),
                "queries": queries,
            }
        results[label] = rows
    return {"dashboard": results}


def main() -> None:
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--repeat", type=int, default=3)
    options = args.parse_args()
    setup_django()
    results = run(repeat=options.repeat)
    figures = results["dashboard"]
    print(f"Range: {figures['date_from']} to {figures['date_to']} ({figures['days']} days)")
    show("Dashboard, all clinics", figures["all_clinics"])
    show("Dashboard, one clinic", figures["one_clinic"])
    write(options.json, results)


if __name__ == "__main__":
    main()
