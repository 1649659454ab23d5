"""Personas and a small bookable world, shared by every test package."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone, translation

from apps.accounts.roles import Role
from apps.accounts.services import user_set_role
from apps.clinics.models import Clinic, ServiceOffering
from apps.doctors.models import Doctor
from apps.timeslots.models import Slot
from tests.accounts.factories import PatientFactory, UserFactory
from tests.clinics.factories import ClinicFactory, ClinicMembershipFactory, ServiceOfferingFactory
from tests.doctors.factories import DoctorFactory
from tests.processes import Process, clean_env, start, wait_for
from tests.timeslots.factories import SlotFactory


@pytest.fixture(autouse=True)
def _default_language():
    # LocaleMiddleware leaves the last request's language active in the thread; start
    # every test in the default language so no test depends on the one before it.
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test counts rate limits and throttles in a cache namespace of its own.

    allauth and DRF keep their counters in the default cache (Redis in tests), which other
    test processes share: a key prefix isolates this test without clearing anybody's keys.
    """
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, config in settings.CACHES.items()
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 at production strength costs ~0.4 s a user; tests make hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    """One clinic, one doctor offering one 30-minute service, and open slots tomorrow."""

    clinic: Clinic
    service: ServiceOffering
    doctor: Doctor
    slots: list[Slot]

    def add_slots(self, count: int, *, start=None, minutes: int = 30) -> list[Slot]:
        start = start or self.slots[-1].ends_at
        new = [
            SlotFactory(
                doctor=self.doctor,
                clinic=self.clinic,
                starts_at=start + timedelta(minutes=minutes * i),
                minutes=minutes,
            )
            for i in range(count)
        ]
        self.slots.extend(new)
        return new


def build_world(clinic: Clinic | None = None, slot_count: int = 8) -> World:
    clinic = clinic or ClinicFactory()
    service = ServiceOfferingFactory(clinic=clinic, duration_minutes=30, price_minor=4500)
    doctor = DoctorFactory(services=[service])
    first = (timezone.now() + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    world = World(clinic=clinic, service=service, doctor=doctor, slots=[])
    world.add_slots(slot_count, start=first)
    return world


def on_visit_day(booking):
    """Travel to half an hour before the visit: the day check-in is allowed."""
    return time_machine.travel(booking.starts_at - timedelta(minutes=30), tick=False)


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def other_world(db) -> World:
    """A second, unrelated clinic: for "never the other clinic's data" tests."""
    return build_world()


@pytest.fixture
def patient(db):
    return PatientFactory(email="patient@example.test")


@pytest.fixture
def other_patient(db):
    return PatientFactory(email="other.patient@example.test")


def _staff(role: str, clinic: Clinic, email: str):
    user = UserFactory(email=email)
    user_set_role(user=user, role=role)
    ClinicMembershipFactory(user=user, clinic=clinic, role=role)
    return user


@pytest.fixture
def receptionist(world):
    return _staff(Role.RECEPTIONIST, world.clinic, "reception@example.test")


@pytest.fixture
def nurse(world):
    return _staff(Role.NURSE, world.clinic, "nurse@example.test")


@pytest.fixture
def clinic_manager(world):
    return _staff(Role.CLINIC_MANAGER, world.clinic, "manager@example.test")


@pytest.fixture
def doctor_user(world):
    user = world.doctor.user
    user_set_role(user=user, role=Role.DOCTOR)
    ClinicMembershipFactory(user=user, clinic=world.clinic, role=Role.DOCTOR)
    return user


@pytest.fixture
def platform_admin(db):
    user = UserFactory(email="admin@example.test")
    user_set_role(user=user, role=Role.PLATFORM_ADMIN)
    return user


@dataclass
class WorkerHandle:
    queue: str
    process: Process

    def succeeded(self, task_name: str) -> int:
        """How many runs of ``task_name`` the worker has logged as succeeded."""
        return sum(
            1
            for line in self.process.output().splitlines()
            if task_name in line and " succeeded " in line
        )


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path, settings):
    """A real Celery worker process on Redis, with a queue of its own, using this test's
    (committed) database. Yields a handle: ``.queue`` to send tasks to, ``.succeeded()``."""
    db = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = clean_env(
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/"
        f"{db['NAME']}",
        CELERY_QUEUE=queue,
        CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
    )
    worker = start(
        [
            "-m",
            "celery",
            "-A",
            "clinix",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        log=tmp_path / "worker.log",
    )
    try:
        wait_for(
            lambda: " ready." in worker.output(), timeout=60, what="the worker", process=worker
        )
        yield WorkerHandle(queue=queue, process=worker)
    finally:
        worker.stop()
        connection.close()
