"""The back office is scoped by clinic: staff of clinic A never see nor change clinic B.

Every clinic-owned admin is exercised through real admin URLs with the other clinic's
ids. Choices, actions and inlines of each app are tested in tests/<app>/test_admin.py.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.accounts.roles import Role
from apps.accounts.services import user_set_role
from apps.audit.models import AuditEntry
from apps.bookings.models import Booking
from apps.clinics import selectors
from apps.clinics.models import Clinic, ClinicMembership, ServiceOffering
from apps.doctors.models import Doctor
from apps.timeslots.models import (
    DoctorSchedule,
    ExceptionKind,
    ScheduleBreak,
    ScheduleException,
    ScheduleRule,
    Slot,
)
from tests.accounts.factories import UserFactory
from tests.bookings.factories import BookingFactory
from tests.clinics.admin_helpers import (
    admin_post_data,
    admin_url,
    assert_redirected_as_missing,
    change_url,
    changelist_url,
    delete_url,
    form_errors,
    listed_pks,
    snapshot,
)
from tests.clinics.factories import ClinicMembershipFactory, ServiceOfferingFactory
from tests.timeslots.factories import ScheduleRuleFactory

OUTSIDER = "Outsider"  # in every name of clinic B's data, so a leak shows on any page


def populate(world, *, label: str) -> dict[type, object]:
    """One row of every clinic-owned admin model, belonging to ``world.clinic``."""
    world.clinic.name = f"{label} Clinic"
    world.clinic.save()
    world.service.name = f"{label} consultation"
    world.service.save()
    world.doctor.user.last_name = f"{label}ova"
    world.doctor.user.save()
    rule = ScheduleRuleFactory(doctor=world.doctor, clinic=world.clinic)
    leave_start = world.slots[-1].ends_at + timedelta(days=3)
    leave = ScheduleException.objects.create(
        doctor=world.doctor,
        kind=ExceptionKind.LEAVE,
        starts_at=leave_start,
        ends_at=leave_start + timedelta(hours=4),
        note=f"{label} leave",
    )
    member = UserFactory(email=f"{label.lower()}.staff@example.test", last_name=f"{label}son")
    user_set_role(user=member, role=Role.RECEPTIONIST)
    membership = ClinicMembershipFactory(user=member, clinic=world.clinic)
    # The booking gets a service of its own, so world.service stays deletable.
    booking = BookingFactory(slot=world.slots[0])
    return {
        Clinic: world.clinic,
        ServiceOffering: world.service,
        ClinicMembership: membership,
        Doctor: world.doctor,
        DoctorSchedule: DoctorSchedule.objects.get(pk=world.doctor.pk),
        ScheduleRule: rule,
        ScheduleException: leave,
        Slot: world.slots[1],
        Booking: booking,
    }


@pytest.fixture
def clinic_a(world):
    return populate(world, label="Home")


@pytest.fixture
def clinic_b(other_world):
    return populate(other_world, label=OUTSIDER)


@pytest.fixture
def staff_with_every_permission(clinic_manager):
    """Clinic A's manager holding every permission of the clinic apps.

    Whatever stops them touching clinic B is then the scoping, not a missing permission.
    """
    clinic_manager.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["clinics", "doctors", "timeslots", "bookings"]
        )
    )
    return clinic_manager


# model, an edit a form would post, and whether staff may delete such rows at all
# (some admins never allow deleting: clinics, bookings, doctor schedules).
SCOPED_ADMINS = [
    pytest.param(Clinic, {"name": "Taken over"}, False, id="clinic"),
    pytest.param(ServiceOffering, {"price_minor": "1"}, True, id="serviceoffering"),
    # Memberships are added and removed, never edited in place (apps.clinics.services).
    pytest.param(ClinicMembership, {}, True, id="clinicmembership"),
    pytest.param(Doctor, {"bio": "Taken over"}, True, id="doctor"),
    pytest.param(DoctorSchedule, {}, False, id="doctorschedule"),
    pytest.param(ScheduleRule, {"end_time": "11:00:00"}, True, id="schedulerule"),
    pytest.param(ScheduleException, {"note": "Taken over"}, True, id="scheduleexception"),
    pytest.param(Slot, {"status": "blocked"}, True, id="slot"),
    pytest.param(Booking, {}, False, id="booking"),
]
EDITABLE_ADMINS = [p for p in SCOPED_ADMINS if p.values[1]]


# --- Selectors -------------------------------------------------------------------------------


def test_clinic_list_for_staff_returns_only_the_clinics_a_staff_member_belongs_to(
    receptionist, world, other_world
):
    assert list(selectors.clinic_list_for_staff(receptionist)) == [world.clinic]


def test_clinic_list_for_staff_returns_every_clinic_to_a_platform_admin(
    platform_admin, world, other_world
):
    assert set(selectors.clinic_list_for_staff(platform_admin)) == {
        world.clinic,
        other_world.clinic,
    }


def test_clinic_list_for_staff_returns_nothing_to_a_patient_or_a_deactivated_member(
    patient, receptionist, world
):
    receptionist.is_active = False
    receptionist.save()
    assert not selectors.clinic_list_for_staff(patient).exists()
    assert not selectors.clinic_list_for_staff(receptionist).exists()


def test_clinic_list_for_staff_lists_a_clinic_once_for_a_member_with_two_roles(receptionist, world):
    ClinicMembershipFactory(user=receptionist, clinic=world.clinic, role=Role.NURSE)
    assert list(selectors.clinic_list_for_staff(receptionist)) == [world.clinic]


def test_scope_to_clinics_lists_a_doctor_once_across_a_many_to_many_path(
    receptionist, world, other_world
):
    second_service = ServiceOfferingFactory(clinic=world.clinic)
    world.doctor.services.add(second_service)
    scoped = selectors.scope_to_clinics(Doctor.objects.all(), receptionist)
    assert list(scoped) == [world.doctor]


def test_scope_to_clinics_follows_a_path_through_another_model(receptionist, world, other_world):
    own = ScheduleBreak.objects.create(
        rule=ScheduleRuleFactory(doctor=world.doctor, clinic=world.clinic),
        start_time="10:00",
        end_time="10:30",
    )
    ScheduleBreak.objects.create(
        rule=ScheduleRuleFactory(doctor=other_world.doctor, clinic=other_world.clinic),
        start_time="10:00",
        end_time="10:30",
    )
    assert list(selectors.scope_to_clinics(ScheduleBreak.objects.all(), receptionist)) == [own]


def test_scope_to_clinics_leaves_a_platform_admin_every_row(platform_admin, world, other_world):
    scoped = selectors.scope_to_clinics(Slot.objects.all(), platform_admin)
    assert scoped.count() == len(world.slots) + len(other_world.slots)


def test_scope_to_clinics_gives_a_staff_member_without_membership_nothing(world):
    loner = UserFactory()
    user_set_role(user=loner, role=Role.RECEPTIONIST)
    assert not selectors.scope_to_clinics(Slot.objects.all(), loner).exists()


# --- Every clinic-owned admin ------------------------------------------------------------------


@pytest.mark.parametrize(("model", "edit", "deletable"), SCOPED_ADMINS)
def test_clinic_staff_changelist_lists_own_clinic_rows_and_not_the_other_clinics(
    client, clinic_manager, clinic_a, clinic_b, model, edit, deletable
):
    client.force_login(clinic_manager)
    shown = listed_pks(client.get(changelist_url(model)))
    assert clinic_a[model].pk in shown
    assert clinic_b[model].pk not in shown


@pytest.mark.parametrize(("model", "edit", "deletable"), SCOPED_ADMINS)
def test_clinic_staff_changelist_never_names_the_other_clinics_data(
    client, clinic_manager, clinic_a, clinic_b, model, edit, deletable
):
    # Sidebar filters list related rows too: they must not name clinic B or its doctor.
    client.force_login(clinic_manager)
    response = client.get(changelist_url(model))
    assert response.status_code == 200
    assert OUTSIDER not in response.content.decode()


@pytest.mark.parametrize(("model", "edit", "deletable"), SCOPED_ADMINS)
def test_clinic_staff_search_for_the_other_clinics_name_finds_nothing(
    client, clinic_manager, clinic_a, clinic_b, model, edit, deletable
):
    client.force_login(clinic_manager)
    shown = listed_pks(client.get(changelist_url(model), {"q": OUTSIDER}))
    assert clinic_b[model].pk not in shown


@pytest.mark.parametrize(("model", "edit", "deletable"), SCOPED_ADMINS)
def test_platform_admin_changelist_lists_both_clinics_rows(
    client, platform_admin, clinic_a, clinic_b, model, edit, deletable
):
    client.force_login(platform_admin)
    shown = listed_pks(client.get(changelist_url(model)))
    assert {clinic_a[model].pk, clinic_b[model].pk} <= shown


@pytest.mark.parametrize(("model", "edit", "deletable"), SCOPED_ADMINS)
def test_clinic_staff_opening_own_clinic_change_page_sees_it(
    client, clinic_manager, clinic_a, clinic_b, model, edit, deletable
):
    client.force_login(clinic_manager)
    response = client.get(change_url(clinic_a[model], model))
    assert response.status_code == 200
    assert response.context["original"].pk == clinic_a[model].pk


@pytest.mark.parametrize(("model", "edit", "deletable"), SCOPED_ADMINS)
def test_clinic_staff_opening_the_other_clinics_change_page_is_redirected_as_missing(
    client, clinic_manager, clinic_a, clinic_b, model, edit, deletable
):
    client.force_login(clinic_manager)
    assert_redirected_as_missing(client.get(change_url(clinic_b[model], model)))


@pytest.mark.parametrize(("model", "edit", "deletable"), SCOPED_ADMINS)
def test_clinic_staff_opening_the_other_clinics_history_page_is_redirected_as_missing(
    client, clinic_manager, clinic_a, clinic_b, model, edit, deletable
):
    client.force_login(clinic_manager)
    url = change_url(clinic_b[model], model).replace("/change/", "/history/")
    assert_redirected_as_missing(client.get(url))


@pytest.mark.parametrize(("model", "edit", "deletable"), EDITABLE_ADMINS)
def test_platform_admin_posting_an_edit_to_a_change_page_saves_it(
    client, platform_admin, clinic_a, clinic_b, model, edit, deletable
):
    # The control for the next test: the same well-formed post does change the row.
    target = clinic_b[model]
    client.force_login(platform_admin)
    data = {**admin_post_data(client.get(change_url(target, model))), **edit}
    before = snapshot(target)

    response = client.post(change_url(target, model), data)

    assert response.status_code == 302, response.context and response.context.get("errors")
    assert snapshot(target) != before


@pytest.mark.parametrize(("model", "edit", "deletable"), SCOPED_ADMINS)
def test_clinic_staff_posting_to_the_other_clinics_change_page_changes_nothing(
    client, platform_admin, staff_with_every_permission, clinic_a, clinic_b, model, edit, deletable
):
    target = clinic_b[model]
    client.force_login(platform_admin)
    data = {**admin_post_data(client.get(change_url(target, model))), **edit}
    before = snapshot(target)

    client.force_login(staff_with_every_permission)
    response = client.post(change_url(target, model), data)

    if model is ClinicMembership:
        assert response.status_code == 403  # nobody edits a membership in place
    else:
        assert_redirected_as_missing(response)
    assert snapshot(target) == before


@pytest.mark.parametrize(("model", "edit", "deletable"), SCOPED_ADMINS)
def test_clinic_staff_posting_to_the_other_clinics_delete_page_deletes_nothing(
    client, staff_with_every_permission, clinic_a, clinic_b, model, edit, deletable
):
    target = clinic_b[model]
    client.force_login(staff_with_every_permission)

    response = client.post(delete_url(target, model), {"post": "yes"})

    if deletable:
        assert_redirected_as_missing(response)
    else:
        assert response.status_code == 403
    assert model._default_manager.filter(pk=target.pk).exists()


@pytest.mark.parametrize(
    "model", [ServiceOffering, ClinicMembership, ScheduleRule, ScheduleException, Slot]
)
def test_clinic_staff_posting_to_own_clinic_delete_page_deletes_the_row(
    client, staff_with_every_permission, clinic_a, clinic_b, model
):
    # The control for the test above: the same post does delete a row in scope.
    target = clinic_a[model]
    client.force_login(staff_with_every_permission)

    response = client.post(delete_url(target, model), {"post": "yes"})

    assert response.status_code == 302
    assert not model._default_manager.filter(pk=target.pk).exists()


@pytest.mark.parametrize(
    "model", [ServiceOffering, ClinicMembership, ScheduleRule, ScheduleException, Slot]
)
def test_delete_selected_action_with_the_other_clinics_ids_deletes_only_own_rows(
    client, staff_with_every_permission, clinic_a, clinic_b, model
):
    client.force_login(staff_with_every_permission)

    response = client.post(
        changelist_url(model),
        {
            "action": "delete_selected",
            "_selected_action": [clinic_a[model].pk, clinic_b[model].pk],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert not model._default_manager.filter(pk=clinic_a[model].pk).exists()
    assert model._default_manager.filter(pk=clinic_b[model].pk).exists()


# --- Clinics and services ----------------------------------------------------------------------


def test_clinic_manager_can_edit_own_clinic(client, clinic_manager, clinic_a):
    clinic = clinic_a[Clinic]
    client.force_login(clinic_manager)
    data = {**admin_post_data(client.get(change_url(clinic))), "phone": "+49 30 123456"}

    response = client.post(change_url(clinic), data)

    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.phone == "+49 30 123456"


def test_a_cancellation_policy_change_is_audited_with_before_and_after(
    client, clinic_manager, clinic_a
):
    clinic = clinic_a[Clinic]
    client.force_login(clinic_manager)
    before = clinic.late_cancellation_refund_percent
    data = {
        **admin_post_data(client.get(change_url(clinic))),
        "late_cancellation_refund_percent": "25",
        "no_show_fee_percent": "60",
    }

    client.post(change_url(clinic), data)

    entry = AuditEntry.objects.get(action="clinics.clinic.update", target_id=str(clinic.pk))
    assert entry.changes == {
        "late_cancellation_refund_percent": [before, 25],
        "no_show_fee_percent": [100, 60],
    }
    assert entry.actor_label == clinic_manager.email


def test_clinic_manager_cannot_add_or_delete_clinics(client, clinic_manager, clinic_a):
    client.force_login(clinic_manager)
    assert client.get(admin_url(Clinic, "add")).status_code == 403
    assert client.post(delete_url(clinic_a[Clinic]), {"post": "yes"}).status_code == 403
    assert Clinic.objects.filter(pk=clinic_a[Clinic].pk).exists()


def test_service_form_offers_only_own_clinic(client, clinic_manager, clinic_a, clinic_b):
    client.force_login(clinic_manager)
    for url in (admin_url(ServiceOffering, "add"), change_url(clinic_a[ServiceOffering])):
        form = client.get(url).context["adminform"].form
        assert list(form.fields["clinic"].queryset) == [clinic_a[Clinic]], url


def test_clinic_manager_cannot_move_a_service_into_the_other_clinic(
    client, clinic_manager, clinic_a, clinic_b
):
    service = clinic_a[ServiceOffering]
    client.force_login(clinic_manager)
    data = admin_post_data(client.get(change_url(service)))
    data["clinic"] = str(clinic_b[Clinic].pk)
    before = snapshot(service)

    response = client.post(change_url(service), data)

    assert "clinic" in form_errors(response)
    assert snapshot(service) == before


def test_clinic_manager_cannot_add_a_service_at_the_other_clinic(
    client, clinic_manager, clinic_a, clinic_b
):
    client.force_login(clinic_manager)
    data = admin_post_data(client.get(change_url(clinic_a[ServiceOffering])))
    data.update(clinic=str(clinic_b[Clinic].pk), name="Planted scan")

    response = client.post(admin_url(ServiceOffering, "add"), data)

    assert "clinic" in form_errors(response)
    assert not ServiceOffering.objects.filter(name="Planted scan").exists()


def test_clinic_manager_can_add_a_service_at_own_clinic(client, clinic_manager, clinic_a):
    client.force_login(clinic_manager)
    data = admin_post_data(client.get(change_url(clinic_a[ServiceOffering])))
    data.update(name="Home ultrasound")

    response = client.post(admin_url(ServiceOffering, "add"), data)

    assert response.status_code == 302
    assert ServiceOffering.objects.get(name="Home ultrasound").clinic == clinic_a[Clinic]


def test_clinic_page_lists_only_that_clinics_services_inline(
    client, platform_admin, clinic_a, clinic_b
):
    client.force_login(platform_admin)
    response = client.get(change_url(clinic_a[Clinic]))
    services = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is ServiceOffering
    )
    shown = {form.instance.pk for form in services.forms}
    assert clinic_a[ServiceOffering].pk in shown
    assert clinic_b[ServiceOffering].pk not in shown
    assert shown == set(
        ServiceOffering.objects.filter(clinic=clinic_a[Clinic]).values_list("pk", flat=True)
    )


# --- Who reaches the back office ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(lambda: reverse("admin:index"), id="index"),
        pytest.param(lambda: changelist_url(Booking), id="bookings"),
        pytest.param(lambda: changelist_url(Clinic), id="clinics"),
    ],
)
def test_a_patient_is_sent_to_the_admin_login_page(client, patient, world, url):
    client.force_login(patient)
    response = client.get(url())
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_a_patient_cannot_open_a_booking_change_page_even_of_their_own(client, patient, world):
    booking = BookingFactory(slot=world.slots[0], patient=patient)
    client.force_login(patient)
    response = client.get(change_url(booking))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_without_a_clinic_membership_see_empty_changelists(client, clinic_a, clinic_b, world):
    loner = UserFactory()
    user_set_role(user=loner, role=Role.RECEPTIONIST)
    client.force_login(loner)
    for model in (Clinic, ServiceOffering, Doctor, Slot, Booking):
        assert listed_pks(client.get(changelist_url(model))) == set(), model
