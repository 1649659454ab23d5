"""Beat's schedule lives in the database (django-celery-beat), seeded from settings and
editable in the admin."""

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from clinix.celery import app


@pytest.mark.django_db(transaction=True)
def test_beat_seeds_every_periodic_task_into_the_database_once(admin_client):
    DatabaseScheduler(app=app, lazy=False)
    DatabaseScheduler(app=app, lazy=False)  # a restarted beat adds nothing twice

    tasks = {t.name: t for t in PeriodicTask.objects.exclude(name__startswith="celery.")}
    assert set(tasks) == set(settings.CELERY_BEAT_SCHEDULE)
    relay = tasks["relay-outbox"]
    assert relay.task == "apps.outbox.tasks.outbox_relay"
    assert relay.interval.every == 10
    page = admin_client.get(f"/admin/django_celery_beat/periodictask/{relay.pk}/change/")
    assert page.status_code == 200
