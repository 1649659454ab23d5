"""``make bench``: build the bench world if missing, run every scenario, write the report.

    python -m bench.run [--rebuild] [--quick] [--note "..."]

The database is BENCH_DATABASE_URL (default clinix_bench on the local PostgreSQL); its
name must contain "bench". ``--rebuild`` drops and re-creates it first. Each scenario runs
in its own process with a time limit; the figures go to var/bench/*.json and
docs/performance.md.
"""

import os
import subprocess
import sys
import time
from urllib.parse import urlparse

from bench.common import DEFAULT_DATABASE_URL, ROOT, parser

RESULTS = ROOT / "var" / "bench"
SCENARIOS = [
    # name, arguments, time limit in seconds
    ("availability", ["--samples", "40"], 300),
    ("dashboard", ["--repeat", "3"], 300),
    ("contention", ["--clients", "100", "--rounds", "5"], 300),
    ("throughput", ["--levels", "1,4,16,64", "--seconds", "8"], 400),
]
QUICK = {
    "availability": ["--samples", "5"],
    "dashboard": ["--repeat", "1"],
    "contention": ["--clients", "20", "--rounds", "1"],
    "throughput": ["--levels", "1,4", "--seconds", "2"],
}


def main() -> None:
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--rebuild", action="store_true", help="Drop and rebuild the world.")
    args.add_argument("--quick", action="store_true", help="Tiny counts: checks it all runs.")
    args.add_argument("--note", default="", help="A remark for the report (a noisy machine).")
    options = args.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    name = urlparse(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"BENCH_DATABASE_URL must name a database containing 'bench', not {name!r}.")
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false"}
    env.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    started = time.monotonic()
    _ensure_database(url, name, drop=options.rebuild)
    _step(env, ["manage.py", "migrate", "--noinput", "-v", "0"], 600)
    _step(env, ["manage.py", "bench_world"], 900)
    RESULTS.mkdir(parents=True, exist_ok=True)
    files = []
    for scenario, arguments, limit in SCENARIOS:
        out = RESULTS / f"{scenario}.json"
        out.unlink(missing_ok=True)
        chosen = QUICK[scenario] if options.quick else arguments
        _step(env, ["-m", f"bench.{scenario}", *chosen, "--json", str(out)], limit)
        files.append(out)
    from bench import report

    target = ROOT / "docs" / "performance.md"
    report.write_report(
        files, target, minutes=(time.monotonic() - started) / 60, note=options.note, env=env
    )
    print(f"\nWrote {target} in {(time.monotonic() - started) / 60:.1f} minutes.")


def _step(env: dict, command: list[str], limit: int) -> None:
    print(f"\n$ python {' '.join(command)}", flush=True)
    subprocess.run([sys.executable, *command], cwd=ROOT, env=env, timeout=limit, check=True)


def _ensure_database(url: str, name: str, *, drop: bool) -> None:
    import psycopg

    admin = urlparse(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            print(f"Dropping database {name}")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            print(f"Creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
