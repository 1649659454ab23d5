"""The bench code still runs: the world command at its small preset, then one short pass of
each scenario against this test's database and a live gunicorn. No timings are asserted
(bench/ measures; docs/performance.md reports), only that the figures are well formed and
that exactly one client wins each race."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.bookings.models import Booking
from apps.demo.bench_world import SCALES
from bench import availability, contention, dashboard, throughput
from bench.server import database_url, gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LATENCY_KEYS = {"count", "p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms"}


def test_bench_world_refuses_a_database_not_named_for_benchmarks():
    with pytest.raises(CommandError, match="does not contain 'bench'"):
        call_command("bench_world", scale="small")
    assert not Booking.objects.exists()


def test_bench_world_and_each_scenario_run_at_a_tiny_scale(tmp_path, capsys):
    call_command("bench_world", scale="small", yes=True)
    small = SCALES["small"]
    assert Booking.objects.count() == small.bookings

    figures = availability.run(samples=2)["availability"]
    assert set(figures) == {"doctor_week", "clinic_day", "first_available_specialty"}
    for question in figures.values():
        assert set(question["latency"]) == LATENCY_KEYS
        assert question["queries_per_request"] >= 1
        assert question["plans"]
        assert all(plan["key_lines"] for plan in question["plans"])

    boards = dashboard.run(repeat=1)["dashboard"]
    assert set(boards["all_clinics"]) == set(boards["one_clinic"])
    assert all(row["queries"] >= 1 for row in boards["all_clinics"].values())

    with gunicorn(
        database_url(connection.settings_dict), log=tmp_path / "gunicorn.log", workers=2, threads=4
    ) as server:
        race = contention.run(server, clients=6, rounds=1)
        load = throughput.run(
            server, levels=(1, 2), seconds=0.5, max_requests=6, warm_up_seconds=0.2
        )

    for kind in ("one_slot", "overlapping"):
        assert race[kind]["winners_per_round"] == [1]
        assert race[kind]["winners_in_db_per_round"] == [1]
        assert race[kind]["statuses"] == {"201": 1, "409": 5}
        assert set(race[kind]["latency"]) == LATENCY_KEYS
    assert [level["clients"] for level in load["booking"]] == [1, 2]
    for level in load["booking"] + load["churn"]:
        assert set(level["statuses"]) <= {"200", "201"}, level
        assert level["requests"] >= 1
    assert load["double_bookings_in_db"] == 0
    connection.close()
