"""A live gunicorn for the HTTP scenarios, on 127.0.0.1 only, with production settings.

The same way tests/api/test_http_race.py starts it (tests/processes.py), with DEBUG off,
Redis for the cache (throttle counters, the outbox kick) and the Celery broker, and the
outbox kicks left on as in production. Only the API's rate limits are raised: the bench
measures bookings, and 30 booking writes a minute per user would refuse most of them.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.common import REDIS_URL
from tests.processes import clean_env, free_port, http_status, start, wait_for

#: Two cores: a few processes (the GIL) with a few threads each (they wait on PostgreSQL).
WORKERS = 4
THREADS = 4
BENCH_QUEUE = "clinix-bench"


@dataclass(frozen=True)
class Server:
    port: int
    workers: int
    threads: int
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def database_url(settings_dict: dict) -> str:
    password = settings_dict.get("PASSWORD") or ""
    return (
        f"postgres://{settings_dict['USER']}:{password}@{settings_dict['HOST']}:"
        f"{settings_dict['PORT']}/{settings_dict['NAME']}"
    )


@contextmanager
def gunicorn(
    db_url: str, *, log: Path, workers: int = WORKERS, threads: int = THREADS
) -> Iterator[Server]:
    port = free_port()
    env = clean_env(
        DATABASE_URL=db_url,
        DEBUG="false",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        REDIS_URL=REDIS_URL,
        CELERY_BROKER_URL=REDIS_URL,
        CELERY_QUEUE=BENCH_QUEUE,
        CACHE_KEY_PREFIX=f"bench-{uuid.uuid4().hex[:8]}",
        OUTBOX_RELAY_ON_COMMIT="true",
        API_THROTTLE_USER="1000000/min",
        API_THROTTLE_IP="1000000/min",
        API_THROTTLE_BOOKING_WRITES="1000000/min",
        LOG_LEVEL="WARNING",
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    server = start(
        [
            "-m",
            "gunicorn",
            "clinix.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--backlog",
            "2048",
            "--keep-alive",
            "30",
            "--timeout",
            "60",
        ],
        env=env,
        log=log,
    )
    try:
        wait_for(
            lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200,
            timeout=60,
            what="gunicorn",
            process=server,
        )
        yield Server(port=port, workers=workers, threads=threads, log=log)
    finally:
        server.stop()
        _purge_queue()


def _purge_queue() -> None:
    """Drop the outbox relay kicks nobody consumed (no Celery worker runs in the bench)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).delete(BENCH_QUEUE)
    except redis.RedisError as error:
        print(f"(could not purge the {BENCH_QUEUE} queue: {error})")
