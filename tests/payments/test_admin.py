"""Money in the back office: scoped to the staff's clinics, rules audited, refunds retried."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.payments import services
from apps.payments.models import DiscountPolicy, Payment, PromoCode, Receipt, Refund, RefundStatus
from tests.accounts.factories import PatientFactory
from tests.clinics.admin_helpers import admin_url, change_url, changelist_url, listed_pks
from tests.payments.factories import book, make_prepaid, pay
from tests.portal.conftest import verify


def paid_booking(world, patient):
    return pay(book(make_prepaid(world), verify(patient)))


@pytest.fixture
def own_payment(world, patient):
    return paid_booking(world, patient)


@pytest.fixture
def foreign_payment(other_world):
    return paid_booking(other_world, PatientFactory())


def test_staff_see_only_their_clinics_payments_refunds_and_receipts(
    client, clinic_manager, own_payment, foreign_payment
):
    services.refund_request(payment=own_payment, amount=own_payment.captured, reason="a")
    services.refund_request(payment=foreign_payment, amount=foreign_payment.captured, reason="b")
    client.force_login(clinic_manager)

    assert listed_pks(client.get(changelist_url(Payment))) == {own_payment.pk}
    assert listed_pks(client.get(changelist_url(Refund))) == {own_payment.refunds.get().pk}
    assert listed_pks(client.get(changelist_url(Receipt))) == {own_payment.receipts.get().pk}
    assert client.get(change_url(foreign_payment)).status_code == 302


def test_a_manager_retries_a_failed_refund(client, clinic_manager, own_payment):
    refund = services.refund_request(payment=own_payment, amount=own_payment.captured, reason="x")
    Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED, last_error="declined")
    client.force_login(clinic_manager)

    client.post(changelist_url(Refund), {"action": "retry", "_selected_action": [refund.pk]})

    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED
    assert AuditEntry.objects.filter(action="refund.retry", target_id=str(refund.pk)).exists()


def test_a_receptionist_may_look_but_not_retry(client, receptionist, own_payment):
    refund = services.refund_request(payment=own_payment, amount=own_payment.captured, reason="x")
    Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED)
    client.force_login(receptionist)

    assert listed_pks(client.get(changelist_url(Refund))) == {refund.pk}
    client.post(changelist_url(Refund), {"action": "retry", "_selected_action": [refund.pk]})

    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED


def test_promo_code_changes_are_audited_with_before_and_after(client, platform_admin, world):
    now = timezone.now()
    client.force_login(platform_admin)
    form = {
        "code": "spring10",
        "description": "",
        "kind": "percent",
        "percent": "10",
        "amount_minor": "",
        "currency": "",
        "valid_from_0": f"{now:%Y-%m-%d}",
        "valid_from_1": "00:00:00",
        "valid_until_0": f"{now + timedelta(days=30):%Y-%m-%d}",
        "valid_until_1": "00:00:00",
        "max_uses": "100",
        "max_uses_per_patient": "1",
        "clinics": [world.clinic.pk],
        "is_active": "on",
    }

    created = client.post(admin_url(PromoCode, "add"), form)
    promo = PromoCode.objects.get()
    client.post(change_url(promo), {**form, "percent": "15"})

    assert created.status_code == 302, created.context["adminform"].form.errors
    assert promo.code == "SPRING10"
    entries = AuditEntry.objects.filter(target_type="payments.promocode").order_by("id")
    assert [e.action for e in entries] == ["payments.promocode.create", "payments.promocode.update"]
    assert entries[0].changes["clinics"] == [None, [world.clinic.pk]]
    assert entries[1].changes == {"percent": [10, 15]}


def test_a_fixed_promo_code_without_an_amount_is_a_field_error(client, platform_admin):
    now = timezone.now()
    client.force_login(platform_admin)

    response = client.post(
        admin_url(PromoCode, "add"),
        {
            "code": "FIVE",
            "kind": "fixed",
            "valid_from_0": f"{now:%Y-%m-%d}",
            "valid_from_1": "00:00:00",
            "valid_until_0": f"{now + timedelta(days=3):%Y-%m-%d}",
            "valid_until_1": "00:00:00",
            "max_uses_per_patient": "1",
        },
    )

    assert response.status_code == 200
    assert "amount_minor" in response.context["adminform"].form.errors
    assert not PromoCode.objects.exists()


def test_discount_policy_edits_are_audited(client, platform_admin):
    policy = DiscountPolicy.objects.create(pk=1)
    client.force_login(platform_admin)

    client.post(
        change_url(policy),
        {
            "is_active": "on",
            "percent": "20",
            "birthday_rule": "on",
            "threshold_rule": "on",
            "threshold_minor": "15000",
            "threshold_currency": "EUR",
            "daily_quota": "5",
            "quota_timezone": "Europe/Berlin",
            "when_quota_used_up": "refuse",
        },
    )

    policy.refresh_from_db()
    assert (policy.percent, policy.daily_quota, policy.when_quota_used_up) == (20, 5, "refuse")
    entry = AuditEntry.objects.get(action="payments.discountpolicy.update")
    assert entry.changes["percent"] == [10, 20]
    assert entry.actor_label == platform_admin.email
