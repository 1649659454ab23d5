"""The role matrix: what each role gets from every back-office page, for rows of its own
clinic and of another, through the real admin URLs.

The expectations are written out by hand below, one line per page and object, and reviewed
as a table: they are the specification, not read back from the code under test. Roles:

- admin: a platform admin;
- manager, reception, nurse: clinic A's clinic manager, receptionist and nurse;
- doctor: doctor D, who works at clinic A;
- patient: a patient account (no back office at all);
- outsider: the clinic manager of clinic B (every manager right, at another clinic).

Objects: ``own`` belongs to clinic A (and to doctor D where a doctor owns it), ``peer`` to
doctor D's colleague C at clinic A, ``other`` to clinic B; ``-`` is a page without an object.
Answers: 200 the page; 403 refused; ``gone`` sent back to the admin index because the row
is not in the person's scope (the admin's "does not exist", never the data); ``login``
sent to the sign-in page.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from apps.accounts.roles import Role
from apps.accounts.services import user_set_role
from apps.audit.models import AuditEntry
from apps.audit.services import audit_record
from apps.bookings.models import Booking, BookingStatus, VisitNote
from apps.bookings.visit_notes import visit_note_save
from apps.clinics.models import Clinic, ClinicMembership, ServiceCategory, ServiceOffering
from apps.doctors.models import Doctor, Specialty
from apps.timeslots.models import DoctorSchedule, ScheduleException, ScheduleRule, Slot
from tests.accounts.factories import PatientFactory, UserFactory
from tests.bookings.factories import BookingFactory
from tests.clinics.factories import ClinicMembershipFactory
from tests.conftest import build_world
from tests.doctors.factories import DoctorFactory, SpecialtyFactory
from tests.timeslots.factories import ScheduleExceptionFactory, ScheduleRuleFactory, SlotFactory

ROLES = ("admin", "manager", "reception", "nurse", "doctor", "patient", "outsider")

# fmt: off
PAGES = """
model               page        object  admin manager reception nurse doctor patient outsider
clinic              changelist  -       200   200     200       200   403    login   200
clinic              add         -       200   403     403       403   403    login   403
clinic              change      own     200   200     200       200   403    login   gone
clinic              change      other   200   gone    gone      gone  403    login   200
clinic              delete      own     200   403     403       403   403    login   403

serviceoffering     changelist  -       200   200     200       403   403    login   200
serviceoffering     add         -       200   200     403       403   403    login   200
serviceoffering     change      own     200   200     200       403   403    login   gone
serviceoffering     change      other   200   gone    gone      403   403    login   200
serviceoffering     delete      own     200   200     403       403   403    login   gone
serviceoffering     delete      other   200   gone    403       403   403    login   200

clinicmembership    changelist  -       200   200     403       403   403    login   200
clinicmembership    add         -       200   200     403       403   403    login   200
clinicmembership    change      own     200   200     403       403   403    login   gone
clinicmembership    change      other   200   gone    403       403   403    login   200
clinicmembership    delete      own     200   200     403       403   403    login   gone
clinicmembership    delete      other   200   gone    403       403   403    login   200
clinicmembership    delete      manager 200   403     403       403   403    login   gone

doctor              changelist  -       200   200     200       200   403    login   200
doctor              add         -       200   403     403       403   403    login   403
doctor              change      own     200   200     200       200   403    login   gone
doctor              change      other   200   gone    gone      gone  403    login   200
doctor              delete      own     200   403     403       403   403    login   403

doctorschedule      changelist  -       200   200     200       403   200    login   200
doctorschedule      add         -       403   403     403       403   403    login   403
doctorschedule      change      own     200   200     200       403   200    login   gone
doctorschedule      change      peer    200   200     200       403   gone   login   gone
doctorschedule      change      other   200   gone    gone      403   gone   login   200
doctorschedule      delete      own     403   403     403       403   403    login   403

schedulerule        changelist  -       200   200     200       403   200    login   200
schedulerule        add         -       200   200     403       403   200    login   200
schedulerule        change      own     200   200     200       403   200    login   gone
schedulerule        change      peer    200   200     200       403   gone   login   gone
schedulerule        change      other   200   gone    gone      403   gone   login   200
schedulerule        delete      own     200   200     403       403   200    login   gone
schedulerule        delete      peer    200   200     403       403   gone   login   gone
schedulerule        delete      other   200   gone    403       403   gone   login   200

scheduleexception   changelist  -       200   200     200       403   200    login   200
scheduleexception   add         -       200   200     200       403   200    login   200
scheduleexception   change      own     200   200     200       403   200    login   gone
scheduleexception   change      peer    200   200     200       403   gone   login   gone
scheduleexception   change      other   200   gone    gone      403   gone   login   200
scheduleexception   delete      own     200   200     403       403   200    login   gone
scheduleexception   delete      peer    200   200     403       403   gone   login   gone
scheduleexception   delete      other   200   gone    403       403   gone   login   200

slot                changelist  -       200   200     200       200   200    login   200
slot                add         -       403   403     403       403   403    login   403
slot                change      own     200   200     200       200   200    login   gone
slot                change      peer    200   200     200       200   gone   login   gone
slot                change      other   200   gone    gone      gone  gone   login   200
slot                delete      own     200   403     403       403   403    login   403

booking             changelist  -       200   200     200       200   200    login   200
booking             add         -       403   403     403       403   403    login   403
booking             change      own     200   200     200       200   200    login   gone
booking             change      peer    200   200     200       200   gone   login   gone
booking             change      other   200   gone    gone      gone  gone   login   200
booking             delete      own     403   403     403       403   403    login   403

visitnote           changelist  -       403   403     403       200   200    login   403
visitnote           add         -       403   403     403       403   200    login   403
visitnote           change      own     403   403     403       200   200    login   403
visitnote           change      peer    403   403     403       200   gone   login   403
visitnote           change      other   403   403     403       gone  gone   login   403
visitnote           delete      own     403   403     403       403   403    login   403

servicecategory     changelist  -       200   200     403       403   403    login   200
servicecategory     add         -       200   403     403       403   403    login   403
servicecategory     change      own     200   200     403       403   403    login   200
servicecategory     delete      own     200   403     403       403   403    login   403

specialty           changelist  -       200   403     403       403   403    login   403
specialty           change      own     200   403     403       403   403    login   403

user                changelist  -       200   403     403       403   403    login   403
user                add         -       200   403     403       403   403    login   403
user                change      own     200   403     403       403   403    login   403
user                delete      own     200   403     403       403   403    login   403

auditentry          changelist  -       200   403     403       403   403    login   403
auditentry          add         -       403   403     403       403   403    login   403
auditentry          change      own     200   403     403       403   403    login   403
auditentry          delete      own     403   403     403       403   403    login   403
"""

# The actions each role is offered on a list (none: no action menu at all).
CHECK_IN, NO_SHOW, COMPLETE, CANCEL = "check_in", "mark_no_show", "complete", "cancel_on_behalf"
VISIT_DAY = {CHECK_IN, NO_SHOW, COMPLETE}
ACTIONS = {
    # model:            admin, manager, reception, nurse, doctor, outsider
    "booking":          ({*VISIT_DAY, CANCEL}, {*VISIT_DAY, CANCEL}, {*VISIT_DAY, CANCEL},
                         VISIT_DAY, set(), {*VISIT_DAY, CANCEL}),
    "doctorschedule":   ({"generate_slots"}, {"generate_slots"}, set(), None,
                         {"generate_slots"}, {"generate_slots"}),
    "slot":             ({"block_slots", "unblock_slots", "delete_selected"},
                         {"block_slots", "unblock_slots"}, {"block_slots", "unblock_slots"},
                         set(), set(), {"block_slots", "unblock_slots"}),
    "schedulerule":     ({"delete_selected"}, {"delete_selected"}, set(), None,
                         {"delete_selected"}, {"delete_selected"}),
    "scheduleexception": ({"delete_selected"}, {"delete_selected"}, set(), None,
                          {"delete_selected"}, {"delete_selected"}),
    "clinicmembership": ({"delete_selected"}, {"delete_selected"}, None, None, None,
                         {"delete_selected"}),
    "serviceoffering":  ({"delete_selected"}, {"delete_selected"}, set(), None, None,
                         {"delete_selected"}),
    "clinic":           ({"delete_selected"}, set(), set(), set(), None, set()),
    "visitnote":        (None, None, None, set(), set(), None),
}

# Which booking actions do something, per role, on a booking of clinic A and of clinic B.
# (The list may offer an action that the scoping then makes a no-op: the outsider.)
ACTION_EFFECT = {
    # action:   admin, manager, reception, nurse, doctor, outsider  -> changes A's booking?
    CHECK_IN:  (True, True, True, True, False, False),
    NO_SHOW:   (True, True, True, True, False, False),
    COMPLETE:  (True, True, True, True, False, False),
    CANCEL:    (True, True, True, False, False, False),
}
# fmt: on

MODELS = {
    "clinic": Clinic,
    "serviceoffering": ServiceOffering,
    "clinicmembership": ClinicMembership,
    "doctor": Doctor,
    "doctorschedule": DoctorSchedule,
    "schedulerule": ScheduleRule,
    "scheduleexception": ScheduleException,
    "slot": Slot,
    "booking": Booking,
    "visitnote": VisitNote,
    "servicecategory": ServiceCategory,
    "specialty": Specialty,
    "user": get_user_model(),
    "auditentry": AuditEntry,
}


def _rows():
    lines = [line.split() for line in PAGES.strip().splitlines()[1:] if line.strip()]
    for model, page, obj, *answers in lines:
        assert len(answers) == len(ROLES), (model, page, obj)
        for role, answer in zip(ROLES, answers, strict=True):
            yield pytest.param(model, page, obj, role, answer, id=f"{model}-{page}-{obj}-{role}")


@dataclass
class Matrix:
    people: dict
    objects: dict  # (model, "own" | "peer" | "other" | "manager") -> row
    bookings: dict  # (clinic "a" | "b", purpose) -> booking


def _clinic_people(world, suffix: str) -> dict:
    people = {}
    for key, role in (
        ("manager", Role.CLINIC_MANAGER),
        ("reception", Role.RECEPTIONIST),
        ("nurse", Role.NURSE),
    ):
        user = UserFactory(email=f"{key}.{suffix}@example.test")
        user_set_role(user=user, role=role)
        people[f"{key}_membership"] = ClinicMembershipFactory(
            user=user, clinic=world.clinic, role=role
        )
        people[key] = user
    doctor_user = world.doctor.user
    user_set_role(user=doctor_user, role=Role.DOCTOR)
    ClinicMembershipFactory(user=doctor_user, clinic=world.clinic, role=Role.DOCTOR)
    people["doctor"] = doctor_user
    return people


def _doctor_rows(world, doctor, slot_index: int) -> dict:
    slot = world.slots[slot_index] if doctor == world.doctor else None
    slot = slot or SlotFactory(
        doctor=doctor, clinic=world.clinic, starts_at=world.slots[slot_index].starts_at
    )
    later = world.slots[-1].ends_at + timedelta(days=10 + slot_index)
    seen = BookingFactory(slot=slot, service=world.service, status=BookingStatus.CHECKED_IN)
    note = visit_note_save(booking=seen, author=doctor.user, text="Clinical words")
    return {
        "doctor": doctor,
        "doctorschedule": DoctorSchedule.objects.get(pk=doctor.pk),
        "schedulerule": ScheduleRuleFactory(doctor=doctor, clinic=world.clinic),
        "scheduleexception": ScheduleExceptionFactory(
            doctor=doctor, starts_at=later, ends_at=later + timedelta(hours=4)
        ),
        "slot": slot,
        "booking": seen,
        "visitnote": note,
    }


def _build() -> Matrix:
    a, b = build_world(), build_world()
    people_a = _clinic_people(a, "a")
    people_b = _clinic_people(b, "b")
    admin = UserFactory(email="admin@example.test")
    user_set_role(user=admin, role=Role.PLATFORM_ADMIN)
    colleague = DoctorFactory(services=[a.service])
    user_set_role(user=colleague.user, role=Role.DOCTOR)
    ClinicMembershipFactory(user=colleague.user, clinic=a.clinic, role=Role.DOCTOR)

    own, peer, other = _doctor_rows(a, a.doctor, 0), _doctor_rows(a, colleague, 1), None
    other = _doctor_rows(b, b.doctor, 0)
    objects = {}
    for kind, rows in (("own", own), ("peer", peer), ("other", other)):
        for model, row in rows.items():
            objects[(model, kind)] = row
    objects.update(
        {
            ("clinic", "own"): a.clinic,
            ("clinic", "other"): b.clinic,
            ("serviceoffering", "own"): a.service,
            ("serviceoffering", "other"): b.service,
            ("clinicmembership", "own"): people_a["reception_membership"],
            ("clinicmembership", "other"): people_b["reception_membership"],
            ("clinicmembership", "manager"): people_a["manager_membership"],
            ("servicecategory", "own"): a.service.category,
            ("specialty", "own"): SpecialtyFactory(name="Dermatology", slug="dermatology"),
            ("user", "own"): PatientFactory(),
            ("auditentry", "own"): audit_record(actor=admin, action="test.entry"),
        }
    )
    # Bookings for the actions: started a few minutes ago (check in, no-show, complete)
    # and two hours ahead (cancel), at each clinic.
    bookings = {}
    for key, world in (("a", a), ("b", b)):
        bookings[(key, "started")] = BookingFactory(slot=world.slots[2], service=world.service)
        bookings[(key, "ahead")] = BookingFactory(slot=world.slots[6], service=world.service)
    people = {
        "admin": admin,
        "manager": people_a["manager"],
        "reception": people_a["reception"],
        "nurse": people_a["nurse"],
        "doctor": people_a["doctor"],
        "patient": PatientFactory(email="patient@example.test"),
        "outsider": people_b["manager"],
    }
    return Matrix(people=people, objects=objects, bookings=bookings)


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at the end; each
    test runs in a savepoint inside it (pytest-django's ``db``), so nothing leaks."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _url(model_key: str, page: str, row) -> str:
    opts = MODELS[model_key]._meta
    name = f"admin:{opts.app_label}_{opts.model_name}_{page}"
    return reverse(name, args=[] if row is None else [row.pk])


def _answer(response) -> str:
    if response.status_code == 302:
        if response.url == reverse("admin:index"):
            return "gone"
        if reverse("admin:login") in response.url:
            return "login"
    return str(response.status_code)


@pytest.mark.parametrize(("model", "page", "obj", "role", "expected"), list(_rows()))
def test_each_role_gets_exactly_the_expected_answer_from_each_admin_page(
    db, client, matrix, model, page, obj, role, expected
):
    row = None if obj == "-" else matrix.objects[(model, obj)]
    client.force_login(matrix.people[role])

    response = client.get(_url(model, page, row))

    assert _answer(response) == expected


@pytest.mark.parametrize(
    ("model", "role"),
    [(model, role) for model in ACTIONS for role in ROLES if role != "patient"],
)
def test_each_role_is_offered_exactly_the_expected_actions(db, client, matrix, model, role):
    expected = ACTIONS[model][[r for r in ROLES if r != "patient"].index(role)]
    client.force_login(matrix.people[role])

    response = client.get(_url(model, "changelist", None))

    if expected is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    form = response.context["action_form"]
    offered = {name for name, _label in form.fields["action"].choices if name} if form else set()
    assert offered == expected


def _run(client, action: str, bookings: list[Booking]):
    data = {"action": action, "_selected_action": [b.pk for b in bookings], "index": "0"}
    if action == CANCEL:  # the confirmation page's post, with its reason
        data = {**data, "confirm": "yes", "reason": "The doctor is ill"}
        del data["index"]
    return client.post(_url("booking", "changelist", None), data)


@pytest.mark.parametrize("action", list(ACTION_EFFECT))
@pytest.mark.parametrize("role", [r for r in ROLES if r != "patient"])
def test_each_booking_action_changes_own_clinics_booking_only_for_the_roles_allowed(
    db, client, matrix, role, action
):
    purpose = "ahead" if action == CANCEL else "started"
    own, other = matrix.bookings[("a", purpose)], matrix.bookings[("b", purpose)]
    expected = ACTION_EFFECT[action][[r for r in ROLES if r != "patient"].index(role)]
    if role == "outsider":
        expected = False  # clinic A's booking is not in clinic B's manager's scope
    client.force_login(matrix.people[role])

    with time_machine.travel(matrix.bookings[("a", "started")].starts_at + timedelta(minutes=5)):
        _run(client, action, [own, other])

    def changed(booking) -> bool:
        return Booking.objects.get(pk=booking.pk).status != BookingStatus.CONFIRMED

    staff = [r for r in ROLES if r != "patient"]
    # Clinic B's booking: the platform admin reaches it, and so does clinic B's own manager
    # (with a manager's rights); clinic A's staff never do.
    expected_other = {"admin": True, "outsider": ACTION_EFFECT[action][staff.index("manager")]}
    assert (changed(own), changed(other)) == (expected, expected_other.get(role, False))
