"""The embedded default (`make run`) end to end: SQLite, the file broker, demo data, the web
server and a Celery worker with beat, all in a throwaway folder."""

import pytest

from tests.processes import clean_env, free_port, http_status, run, start, wait_for

SHELL_COUNT_SLOTS = "from apps.timeslots.models import Slot; print(Slot.objects.count())"
SHELL_SEND_TASK = "from apps.timeslots.tasks import slots_extend_horizon as t; t.delay()"


@pytest.mark.slow
def test_the_embedded_default_migrates_seeds_serves_and_runs_tasks(tmp_path):
    env = clean_env(
        CLINIX_VAR_DIR=str(tmp_path),
        DEBUG="true",
        SECRET_KEY="embedded-smoke-test-key",
        CELERY_QUEUE="embedded-smoke",
    )
    for key in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(key, None)

    run(["manage.py", "migrate", "--noinput"], env=env, timeout=300)
    first = run(["manage.py", "seed_demo"], env=env, timeout=300)
    assert "created 3 clinics" in first
    assert "patient@clinix.test" in first
    assert "nothing to change" in run(["manage.py", "seed_demo"], env=env, timeout=300)
    assert (tmp_path / "clinix.sqlite3").exists()

    port = free_port()
    web = start(
        ["manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        log=tmp_path / "web.log",
    )
    worker = start(
        ["-m", "celery", "-A", "clinix", "worker", "--beat", "--pool=solo", "--loglevel=INFO"],
        env=env,
        log=tmp_path / "worker.log",
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_status(base + "/") == 200, timeout=60, what="home", process=web)
        assert http_status(base + "/admin/login/") == 200
        wait_for(lambda: " ready." in worker.output(), timeout=60, what="worker", process=worker)

        before = int(run(["manage.py", "shell", "-c", SHELL_COUNT_SLOTS], env=env).split()[-1])
        run(["manage.py", "shell", "-c", SHELL_SEND_TASK], env=env)
        wait_for(
            lambda: "slots_extend_horizon" in worker.output() and " succeeded " in worker.output(),
            timeout=60,
            what="the task through the file broker",
            process=worker,
        )
        after = int(run(["manage.py", "shell", "-c", SHELL_COUNT_SLOTS], env=env).split()[-1])
        # Demo data covers 21 days; the horizon task extends it to 28.
        assert after > before
    finally:
        web.stop()
        worker.stop()
