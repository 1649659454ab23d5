from datetime import date, time, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.timeslots.models import Slot
from apps.timeslots.planning import plan_slots
from apps.timeslots.tasks import slots_extend_horizon
from tests.clinics.factories import ClinicFactory, ServiceOfferingFactory
from tests.doctors.factories import DoctorFactory
from tests.processes import wait_for
from tests.timeslots.factories import ScheduleRuleFactory


@pytest.mark.slow
def test_a_real_worker_extends_every_doctors_slots_to_the_horizon(celery_worker_process):
    clinic = ClinicFactory(timezone="Asia/Kolkata")
    doctor = DoctorFactory(services=[ServiceOfferingFactory(clinic=clinic)])
    for weekday in range(7):
        ScheduleRuleFactory(
            doctor=doctor,
            clinic=clinic,
            weekday=weekday,
            start_time=time(9, 0),
            end_time=time(11, 0),
            valid_from=date(2020, 1, 1),
        )
    today = timezone.now().date()
    expected = len(
        plan_slots(
            doctor=doctor,
            first=today - timedelta(days=1),
            last=today + timedelta(days=settings.SLOT_HORIZON_DAYS),
        )
    )

    task = "apps.timeslots.tasks.slots_extend_horizon"
    worker = celery_worker_process
    slots_extend_horizon.apply_async(queue=worker.queue)
    wait_for(lambda: worker.succeeded(task) == 1, timeout=30, what="the first run")

    assert Slot.objects.filter(doctor=doctor).count() == expected == 4 * 30
    entry = AuditEntry.objects.get(action="slots.generate")
    assert entry.actor_label == "job:slots_extend_horizon"

    # Idempotent: a second run in the worker creates nothing.
    slots_extend_horizon.apply_async(queue=worker.queue)
    slots_extend_horizon.apply_async(queue=worker.queue)
    wait_for(lambda: worker.succeeded(task) == 3, timeout=30, what="two more runs")
    assert Slot.objects.filter(doctor=doctor).count() == expected
    assert AuditEntry.objects.filter(action="slots.generate").count() == 1
