"""Doctor admin: a clinic's staff edit its doctors without touching other clinics' ties."""

import pytest

from apps.doctors.models import Doctor
from tests.clinics.admin_helpers import (
    admin_post_data,
    admin_url,
    change_url,
    changelist_url,
    form_errors,
)
from tests.clinics.factories import ServiceOfferingFactory


@pytest.fixture
def shared_doctor(world, other_world):
    """world's doctor, who also offers a service at the other clinic."""
    elsewhere = ServiceOfferingFactory(clinic=other_world.clinic, name="Outsider scan")
    world.doctor.services.add(elsewhere)
    return world.doctor


def service_ids(doctor) -> set[int]:
    return set(Doctor.objects.get(pk=doctor.pk).services.values_list("pk", flat=True))


def test_doctor_form_offers_only_own_clinic_services(client, clinic_manager, world, other_world):
    client.force_login(clinic_manager)
    form = client.get(change_url(world.doctor)).context["adminform"].form
    assert list(form.fields["services"].queryset) == [world.service]


def test_clinic_manager_cannot_attach_the_other_clinics_service_to_a_doctor(
    client, clinic_manager, world, other_world
):
    client.force_login(clinic_manager)
    data = admin_post_data(client.get(change_url(world.doctor)))
    data["services"] = [str(world.service.pk), str(other_world.service.pk)]

    response = client.post(change_url(world.doctor), data)

    assert "services" in form_errors(response)
    assert service_ids(world.doctor) == {world.service.pk}


def test_clinic_manager_editing_a_shared_doctor_keeps_their_services_at_the_other_clinic(
    client, clinic_manager, shared_doctor, world, other_world
):
    # The form only shows clinic A's services; saving it must not unlink clinic B's.
    before = service_ids(shared_doctor)
    client.force_login(clinic_manager)
    data = {**admin_post_data(client.get(change_url(shared_doctor))), "bio": "Cardiology."}

    response = client.post(change_url(shared_doctor), data)

    assert response.status_code == 302
    shared_doctor.refresh_from_db()
    assert shared_doctor.bio == "Cardiology."
    assert service_ids(shared_doctor) == before


def test_clinic_manager_can_add_and_remove_own_clinic_services_of_a_shared_doctor(
    client, clinic_manager, shared_doctor, world, other_world
):
    elsewhere = shared_doctor.services.exclude(clinic=world.clinic).get()
    new_here = ServiceOfferingFactory(clinic=world.clinic, name="Home ultrasound")
    client.force_login(clinic_manager)
    data = admin_post_data(client.get(change_url(shared_doctor)))
    data["services"] = [str(new_here.pk)]  # drops world.service, adds new_here

    response = client.post(change_url(shared_doctor), data)

    assert response.status_code == 302
    assert service_ids(shared_doctor) == {new_here.pk, elsewhere.pk}


def test_clinic_manager_cannot_point_a_doctor_profile_at_another_account(
    client, clinic_manager, patient, world
):
    account = world.doctor.user
    client.force_login(clinic_manager)
    data = {**admin_post_data(client.get(change_url(world.doctor))), "user": str(patient.pk)}

    response = client.post(change_url(world.doctor), data)

    assert response.status_code == 302
    world.doctor.refresh_from_db()
    assert world.doctor.user == account


def test_platform_admin_can_point_a_doctor_profile_at_another_account(
    client, platform_admin, patient, world
):
    client.force_login(platform_admin)
    data = {**admin_post_data(client.get(change_url(world.doctor))), "user": str(patient.pk)}

    response = client.post(change_url(world.doctor), data)

    assert response.status_code == 302
    world.doctor.refresh_from_db()
    assert world.doctor.user == patient


def test_clinic_manager_cannot_add_a_doctor(client, clinic_manager, world):
    client.force_login(clinic_manager)
    assert client.get(admin_url(Doctor, "add")).status_code == 403


def test_doctor_clinic_filter_of_a_shared_doctor_offers_only_own_clinic(
    client, clinic_manager, shared_doctor, world, other_world
):
    client.force_login(clinic_manager)
    response = client.get(changelist_url(Doctor))
    offered = [
        str(label)
        for spec in response.context["cl"].filter_specs
        for _pk, label in getattr(spec, "lookup_choices", [])
    ]
    assert other_world.clinic.name not in offered
    assert "Outsider" not in response.content.decode()
