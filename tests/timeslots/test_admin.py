"""Schedule and slot admins: rules, exceptions, slots and their actions stay in scope.

A doctor can work at two clinics; clinic A's staff then see the doctor, but still only
clinic A's part of the schedule.
"""

from datetime import timedelta

import pytest

from apps.timeslots.models import (
    DoctorSchedule,
    ExceptionKind,
    ScheduleException,
    ScheduleRule,
    Slot,
    SlotStatus,
)
from tests.clinics.admin_helpers import (
    admin_post_data,
    admin_url,
    assert_redirected_as_missing,
    change_url,
    changelist_url,
    form_errors,
    listed_pks,
    snapshot,
)
from tests.clinics.factories import ServiceOfferingFactory
from tests.doctors.factories import DoctorFactory
from tests.timeslots.factories import ScheduleRuleFactory


@pytest.fixture
def shared_doctor(world, other_world):
    """world's doctor, who also works at the other clinic."""
    world.doctor.services.add(ServiceOfferingFactory(clinic=other_world.clinic))
    return world.doctor


@pytest.fixture
def own_rule(world, shared_doctor):
    return ScheduleRuleFactory(doctor=shared_doctor, clinic=world.clinic, weekday=0)


@pytest.fixture
def foreign_rule(other_world, shared_doctor):
    """The shared doctor's Tuesday hours at the other clinic."""
    return ScheduleRuleFactory(doctor=shared_doctor, clinic=other_world.clinic, weekday=1)


def exception(doctor, *, clinic=None, kind=ExceptionKind.LEAVE, days=5) -> ScheduleException:
    starts_at = (doctor.slots.order_by("-ends_at").first().ends_at) + timedelta(days=days)
    return ScheduleException.objects.create(
        doctor=doctor,
        clinic=clinic,
        kind=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        slot_minutes=30 if kind == ExceptionKind.EXTRA_HOURS else None,
    )


def schedule_page(client, doctor):
    return client.get(admin_url(DoctorSchedule, "change", doctor.pk))


def inline_pks(response, model) -> set[int]:
    formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is model
    )
    return {form.instance.pk for form in formset.initial_forms}


def rule_form(prefix: str, rule: ScheduleRule, **changes) -> dict:
    """Posted fields of one rule row of the schedule page's rules inline."""
    fields = {
        "id": rule.pk or "",
        "doctor": rule.doctor_id,
        "clinic": rule.clinic_id,
        "weekday": rule.weekday,
        "start_time": rule.start_time,
        "end_time": rule.end_time,
        "slot_minutes": rule.slot_minutes,
        "valid_from": rule.valid_from,
        "valid_until": "",
        "is_active": "on",
        **changes,
    }
    return {f"{prefix}-{name}": str(value) for name, value in fields.items()}


def with_rule_rows(data: dict, *rows: dict, initial: int) -> dict:
    """``data`` of the schedule page with its rules inline replaced by ``rows``."""
    data = {k: v for k, v in data.items() if not k.startswith("schedule_rules-")}
    data.update(
        {
            "schedule_rules-TOTAL_FORMS": str(len(rows)),
            "schedule_rules-INITIAL_FORMS": str(initial),
            "schedule_rules-MIN_NUM_FORMS": "0",
            "schedule_rules-MAX_NUM_FORMS": "1000",
        }
    )
    for row in rows:
        data.update(row)
    return data


# --- Doctor schedule page (rules and exceptions inline) ----------------------------------------


def test_schedule_page_of_a_shared_doctor_shows_only_own_clinic_rules(
    client, clinic_manager, own_rule, foreign_rule
):
    client.force_login(clinic_manager)
    response = schedule_page(client, own_rule.doctor)
    assert inline_pks(response, ScheduleRule) == {own_rule.pk}


def test_platform_admin_schedule_page_shows_the_rules_of_every_clinic(
    client, platform_admin, own_rule, foreign_rule
):
    client.force_login(platform_admin)
    response = schedule_page(client, own_rule.doctor)
    assert inline_pks(response, ScheduleRule) == {own_rule.pk, foreign_rule.pk}


def test_clinic_manager_can_edit_own_rule_through_the_schedule_page(
    client, clinic_manager, own_rule, foreign_rule
):
    client.force_login(clinic_manager)
    data = admin_post_data(schedule_page(client, own_rule.doctor))
    row = rule_form("schedule_rules-0", own_rule, end_time="11:00:00")

    response = client.post(
        admin_url(DoctorSchedule, "change", own_rule.doctor.pk),
        with_rule_rows(data, row, initial=1),
    )

    assert response.status_code == 302
    own_rule.refresh_from_db()
    assert own_rule.end_time.hour == 11


def test_clinic_manager_cannot_delete_the_other_clinics_rule_through_the_schedule_page(
    client, clinic_manager, own_rule, foreign_rule
):
    client.force_login(clinic_manager)
    data = admin_post_data(schedule_page(client, own_rule.doctor))
    row = rule_form("schedule_rules-0", foreign_rule, DELETE="on")

    client.post(
        admin_url(DoctorSchedule, "change", own_rule.doctor.pk),
        with_rule_rows(data, row, initial=1),
    )

    assert ScheduleRule.objects.filter(pk=foreign_rule.pk).exists()


def test_clinic_manager_cannot_add_a_rule_at_the_other_clinic_through_the_schedule_page(
    client, clinic_manager, own_rule, foreign_rule, other_world
):
    client.force_login(clinic_manager)
    data = admin_post_data(schedule_page(client, own_rule.doctor))
    new = ScheduleRule(
        doctor=own_rule.doctor,
        clinic=other_world.clinic,
        weekday=3,
        start_time=own_rule.start_time,
        end_time=own_rule.end_time,
        slot_minutes=30,
        valid_from=own_rule.valid_from,
    )
    rows = [
        rule_form("schedule_rules-0", own_rule),
        rule_form("schedule_rules-1", new),
    ]

    response = client.post(
        admin_url(DoctorSchedule, "change", own_rule.doctor.pk),
        with_rule_rows(data, *rows, initial=1),
    )

    assert response.status_code == 200
    assert not ScheduleRule.objects.filter(weekday=3).exists()


def test_schedule_page_offers_only_own_clinic_for_a_rule(
    client, clinic_manager, own_rule, foreign_rule, world
):
    client.force_login(clinic_manager)
    response = schedule_page(client, own_rule.doctor)
    formset = response.context["inline_admin_formsets"][0].formset
    assert list(formset.form.base_fields["clinic"].queryset) == [world.clinic]


def test_schedule_page_of_a_shared_doctor_hides_extra_hours_at_the_other_clinic(
    client, clinic_manager, shared_doctor, world, other_world
):
    leave = exception(shared_doctor)  # no clinic: away from both
    extra_here = exception(shared_doctor, clinic=world.clinic, kind=ExceptionKind.EXTRA_HOURS)
    extra_there = exception(
        shared_doctor, clinic=other_world.clinic, kind=ExceptionKind.EXTRA_HOURS, days=6
    )
    client.force_login(clinic_manager)

    shown = inline_pks(schedule_page(client, shared_doctor), ScheduleException)

    assert shown == {leave.pk, extra_here.pk}
    assert extra_there.pk not in shown


# --- Schedule rule admin ------------------------------------------------------------------------


def test_rule_form_offers_only_own_clinic_and_its_doctors(
    client, clinic_manager, world, other_world
):
    client.force_login(clinic_manager)
    form = client.get(admin_url(ScheduleRule, "add")).context["adminform"].form
    assert list(form.fields["clinic"].queryset) == [world.clinic]
    assert list(form.fields["doctor"].queryset) == [world.doctor]


def test_clinic_manager_cannot_add_a_rule_for_the_other_clinics_doctor(
    client, clinic_manager, world, other_world
):
    client.force_login(clinic_manager)
    data = admin_post_data(client.get(admin_url(ScheduleRule, "add")))
    data.update(
        doctor=str(other_world.doctor.pk),
        clinic=str(world.clinic.pk),
        weekday="2",
        start_time="09:00",
        end_time="12:00",
        slot_minutes="30",
        valid_from="2030-01-01",
    )

    response = client.post(admin_url(ScheduleRule, "add"), data)

    assert "doctor" in form_errors(response)
    assert not ScheduleRule.objects.exists()


def test_clinic_manager_cannot_move_own_rule_to_the_other_clinic(
    client, clinic_manager, own_rule, foreign_rule, other_world
):
    client.force_login(clinic_manager)
    data = admin_post_data(client.get(change_url(own_rule)))
    data["clinic"] = str(other_world.clinic.pk)
    before = snapshot(own_rule)

    response = client.post(change_url(own_rule), data)

    assert "clinic" in form_errors(response)
    assert snapshot(own_rule) == before


def test_rule_changelist_of_a_shared_doctor_lists_only_own_clinic_rules(
    client, clinic_manager, own_rule, foreign_rule
):
    client.force_login(clinic_manager)
    assert listed_pks(client.get(changelist_url(ScheduleRule))) == {own_rule.pk}


# --- Schedule exception admin -----------------------------------------------------------------


def test_exception_changelist_of_a_shared_doctor_hides_extra_hours_at_the_other_clinic(
    client, receptionist, shared_doctor, world, other_world
):
    leave = exception(shared_doctor)
    extra_there = exception(
        shared_doctor, clinic=other_world.clinic, kind=ExceptionKind.EXTRA_HOURS
    )
    client.force_login(receptionist)

    assert listed_pks(client.get(changelist_url(ScheduleException))) == {leave.pk}
    assert_redirected_as_missing(client.get(change_url(extra_there)))


def test_clinic_manager_cannot_delete_extra_hours_at_the_other_clinic(
    client, clinic_manager, shared_doctor, other_world
):
    extra_there = exception(
        shared_doctor, clinic=other_world.clinic, kind=ExceptionKind.EXTRA_HOURS
    )
    client.force_login(clinic_manager)

    response = client.post(admin_url(ScheduleException, "delete", extra_there.pk), {"post": "yes"})

    assert_redirected_as_missing(response)
    assert ScheduleException.objects.filter(pk=extra_there.pk).exists()


def test_receptionist_cannot_record_leave_for_the_other_clinics_doctor(
    client, receptionist, world, other_world
):
    client.force_login(receptionist)
    data = admin_post_data(client.get(admin_url(ScheduleException, "add")))
    data.update(
        {
            "doctor": str(other_world.doctor.pk),
            "kind": ExceptionKind.LEAVE.value,
            "starts_at_0": "2030-01-07",
            "starts_at_1": "09:00:00",
            "ends_at_0": "2030-01-07",
            "ends_at_1": "17:00:00",
        }
    )

    response = client.post(admin_url(ScheduleException, "add"), data)

    assert "doctor" in form_errors(response)
    assert not ScheduleException.objects.exists()


# --- Slot admin and its actions ----------------------------------------------------------------


def run_action(client, model, action: str, *objs):
    return client.post(
        changelist_url(model),
        {"action": action, "_selected_action": [obj.pk for obj in objs], "index": "0"},
    )


def status_of(slot: Slot) -> str:
    return Slot.objects.get(pk=slot.pk).status


def test_block_slots_action_with_the_other_clinics_slot_blocks_only_own_slot(
    client, receptionist, world, other_world
):
    own, foreign = world.slots[0], other_world.slots[0]
    client.force_login(receptionist)

    response = run_action(client, Slot, "block_slots", own, foreign)

    assert response.status_code == 302
    assert status_of(own) == SlotStatus.BLOCKED
    assert status_of(foreign) == SlotStatus.OPEN


def test_unblock_slots_action_with_the_other_clinics_slot_opens_only_own_slot(
    client, receptionist, world, other_world
):
    own, foreign = world.slots[0], other_world.slots[0]
    Slot.objects.filter(pk__in=[own.pk, foreign.pk]).update(
        status=SlotStatus.BLOCKED, block_reason="Doctor ill"
    )
    client.force_login(receptionist)

    response = run_action(client, Slot, "unblock_slots", own, foreign)

    assert response.status_code == 302
    assert status_of(own) == SlotStatus.OPEN
    assert status_of(foreign) == SlotStatus.BLOCKED


def test_receptionist_can_block_own_slot_on_its_change_page(client, receptionist, world):
    slot = world.slots[2]
    client.force_login(receptionist)
    data = {**admin_post_data(client.get(change_url(slot))), "status": SlotStatus.BLOCKED.value}

    response = client.post(change_url(slot), data)

    assert response.status_code == 302
    assert status_of(slot) == SlotStatus.BLOCKED


def test_nurse_cannot_block_slots(client, nurse, world):
    client.force_login(nurse)

    run_action(client, Slot, "block_slots", world.slots[0])
    response = client.post(change_url(world.slots[0]), {"status": SlotStatus.BLOCKED.value})

    assert response.status_code == 403
    assert status_of(world.slots[0]) == SlotStatus.OPEN


# --- Generate slots action --------------------------------------------------------------------


def slot_keys(doctor) -> set:
    return set(Slot.objects.filter(doctor=doctor).values_list("pk", "starts_at", "status"))


def test_generate_slots_action_with_the_other_clinics_doctor_generates_only_own(
    client, clinic_manager, world, other_world
):
    ScheduleRuleFactory(doctor=world.doctor, clinic=world.clinic, weekday=2)
    ScheduleRuleFactory(doctor=other_world.doctor, clinic=other_world.clinic, weekday=2)
    own_before, foreign_before = slot_keys(world.doctor), slot_keys(other_world.doctor)
    client.force_login(clinic_manager)

    response = run_action(
        client, DoctorSchedule, "generate_slots", world.doctor, other_world.doctor
    )

    assert response.status_code == 302
    assert slot_keys(world.doctor) != own_before
    assert slot_keys(other_world.doctor) == foreign_before


def test_receptionist_is_not_offered_the_generate_slots_action(client, receptionist, world):
    ScheduleRuleFactory(doctor=world.doctor, clinic=world.clinic, weekday=2)
    before = slot_keys(world.doctor)
    client.force_login(receptionist)

    listing = client.get(changelist_url(DoctorSchedule))
    run_action(client, DoctorSchedule, "generate_slots", world.doctor)

    action_form = listing.context["action_form"]  # None when no action is offered at all
    offered = dict(action_form.fields["action"].choices) if action_form else {}
    assert "generate_slots" not in offered
    assert slot_keys(world.doctor) == before


# --- Doctor schedule list ------------------------------------------------------------------------


def test_schedule_list_counts_only_own_clinic_rules_of_a_shared_doctor(
    client, clinic_manager, own_rule, foreign_rule
):
    client.force_login(clinic_manager)
    changelist = client.get(changelist_url(DoctorSchedule)).context["cl"]
    (row,) = changelist.result_list
    assert changelist.model_admin.rule_count(row) == 1


def test_schedule_list_query_count_does_not_grow_with_doctors(
    client, clinic_manager, world, django_assert_max_num_queries
):
    for _ in range(8):
        doctor = DoctorFactory(services=[world.service])
        ScheduleRuleFactory(doctor=doctor, clinic=world.clinic)
    client.force_login(clinic_manager)

    # session, user, two permission reads, two counts, the page: no query per doctor.
    with django_assert_max_num_queries(8):
        response = client.get(changelist_url(DoctorSchedule))

    assert len(listed_pks(response)) == 9
