"""What every bench script shares: Django set-up, statistics, the results file.

Each script is plain Python (``python -m bench.<name>``): it prints its figures and, with
``--json PATH``, writes them for bench/report.py. The figures are measurements, never
assertions: tests/test_bench_smoke.py only checks that the scripts still run.
"""

import argparse
import json
import os
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/clinix_bench"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")


def setup_django() -> None:
    """Configure Django for a bench process (the bench database unless DATABASE_URL says)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinix.settings")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ.setdefault("REDIS_URL", REDIS_URL)
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("OUTBOX_RELAY_ON_COMMIT", "false")  # no worker in this process
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", type=Path, help="Also write the figures to this file.")
    return p


def percentiles(seconds: list[float]) -> dict:
    """p50, p95, p99 and max in milliseconds (nearest-rank), with the count."""
    if not seconds:
        return {"count": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(seconds)

    def rank(q: float) -> float:
        index = max(0, min(len(ordered) - 1, int(round(q * len(ordered) + 0.5)) - 1))
        return round(ordered[index] * 1000, 1)

    return {
        "count": len(ordered),
        "p50_ms": rank(0.50),
        "p95_ms": rank(0.95),
        "p99_ms": rank(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


def status_counts(statuses) -> dict[str, int]:
    return {str(code): n for code, n in sorted(Counter(statuses).items())}


def show(title: str, figures: dict) -> None:
    print(f"\n== {title}")
    for key, value in figures.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k}={v}" for k, v in value.items())
            print(f"  {key}: {inner}")
        elif isinstance(value, list) and all(not isinstance(v, str | dict) for v in value):
            print(f"  {key}: {value}")
        elif isinstance(value, list):
            print(f"  {key}:")
            for line in value:
                print(f"    {line}")
        else:
            print(f"  {key}: {value}")


def write(path: Path | None, results: dict) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nFigures written to {path}")
