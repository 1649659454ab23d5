import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from apps.accounts.models import User
from apps.accounts.roles import ROLE_PERMISSIONS, Role, group_name
from apps.accounts.services import roles_sync, user_create, user_set_role

pytestmark = pytest.mark.django_db


def test_users_sign_in_with_a_normalised_email():
    user = User.objects.create_user(email="  Maria.Keller@Example.TEST ", password="x")
    assert user.email == "maria.keller@example.test"
    assert User.objects.get_by_natural_key("MARIA.KELLER@example.test") == user


def test_two_accounts_cannot_share_an_email_in_any_case():
    User.objects.create_user(email="same@example.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="SAME@example.test")


def test_user_create_makes_patients_with_a_profile():
    user = user_create(email="new@example.test", password="pw-long-enough-1")
    assert user.role == Role.PATIENT
    assert user.patient_profile.preferred_language == "en"
    assert not user.is_staff


def test_a_staff_role_opens_the_back_office_with_its_group():
    user = user_create(email="desk@example.test", password=None, role=Role.RECEPTIONIST)
    assert user.is_staff
    assert not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [group_name(Role.RECEPTIONIST)]
    assert user.has_perm("bookings.change_booking")
    assert not user.has_perm("clinics.add_serviceoffering")


def test_changing_role_swaps_the_group_and_closes_the_back_office_for_patients():
    user = user_create(email="x@example.test", password=None, role=Role.NURSE)
    user_set_role(user=user, role=Role.PATIENT)
    user.refresh_from_db()
    assert not user.is_staff
    assert not user.groups.exists()


def test_platform_admins_are_superusers():
    user = user_create(email="root@example.test", password=None, role=Role.PLATFORM_ADMIN)
    assert user.is_superuser
    assert user.is_platform_admin


def test_roles_sync_is_idempotent_and_complete():
    roles_sync()
    roles_sync()
    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=group_name(role))
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert granted == set(perms), role


def test_a_role_keeps_its_group_whatever_language_is_active():
    from django.utils import translation

    with translation.override("de"):
        user = user_create(email="de@example.test", password=None, role=Role.CLINIC_MANAGER)
    assert list(user.groups.values_list("name", flat=True)) == [group_name(Role.CLINIC_MANAGER)]
    assert user.has_perm("timeslots.change_doctorschedule")
