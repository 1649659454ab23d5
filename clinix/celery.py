"""The Celery application. Its settings live in clinix/settings.py under the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinix.settings")

app = Celery("clinix")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
