from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.api.models import IdempotencyRecord
from apps.api.tasks import idempotency_purge
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def record(user, key):
    return IdempotencyRecord.objects.create(
        user=user,
        key=key,
        method="POST",
        path="/x",
        fingerprint="f",
        status_code=201,
        response_body={},
    )


def test_answers_older_than_a_day_are_forgotten():
    user = UserFactory()
    with time_machine.travel(timezone.now() - timedelta(hours=25)):
        record(user, "old")
    record(user, "fresh")

    assert idempotency_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
