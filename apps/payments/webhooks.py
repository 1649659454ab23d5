"""Stripe's webhook endpoint: signed events, stored once by their id, applied once.

An event is a hint, not the truth: it may come late, twice or out of order. So the
handler checks the signature (and its age), fetches the object from Stripe again (outside
any transaction: no network I/O while holding locks), then in one transaction stores the
event and applies what Stripe says now through services.payment_apply / refund_apply,
which lock the rows and only move forward. A second delivery of the same event hits the
unique constraint on (gateway, event_id) and changes nothing.

Answers: 400 for a bad, missing or stale signature (Stripe does not retry those for long);
503 when Stripe could not be asked or something failed here (Stripe retries for days,
and nothing was stored, so the retry is applied); 200 otherwise. Never a 500.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.audit.context import system_job
from apps.payments import services
from apps.payments.gateways import GatewayError, get_gateway
from apps.payments.models import Payment, Refund, RefundStatus, WebhookEvent

logger = logging.getLogger(__name__)

GATEWAY = "stripe"
# Events whose object is a refund (refund.*, charge.refund.updated) or a charge with refunds.
REFUND_EVENTS = frozenset(
    {
        "charge.refunded",
        "charge.refund.updated",
        "refund.created",
        "refund.updated",
        "refund.failed",
    }
)


@dataclass
class Plan:
    """What an event leads to, decided (and fetched from Stripe) before the transaction."""

    status: str  # the answer: applied, ignored, unknown object
    object_id: str
    appliers: list[Callable[[], Any]] = field(default_factory=list)


@csrf_exempt  # Stripe cannot send our CSRF token; the signature authenticates instead.
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        # The raw body, exactly as signed; the default tolerance (300 s) refuses replays.
        event = stripe.Webhook.construct_event(
            request.body,
            request.headers.get("Stripe-Signature"),
            settings.STRIPE_WEBHOOK_SECRET,
        )
    except stripe.SignatureVerificationError as error:
        logger.warning("Stripe webhook refused: %s", error)
        return JsonResponse({"error": "invalid signature"}, status=400)
    except (ValueError, TypeError, AttributeError, KeyError):
        # Not UTF-8, not JSON, or not an event; only reachable with a valid signature.
        return JsonResponse({"error": "invalid payload"}, status=400)
    payload = event.to_dict()
    event_id, event_type = payload.get("id"), payload.get("type")
    obj = (payload.get("data") or {}).get("object")
    if not (isinstance(event_id, str) and isinstance(event_type, str) and isinstance(obj, dict)):
        return JsonResponse({"error": "invalid payload"}, status=400)
    with system_job("stripe_webhook"):
        try:
            return _handle(event_id, event_type, obj)
        except GatewayError as error:
            logger.warning("Stripe webhook %s: Stripe could not be asked: %s", event_id, error)
            return JsonResponse({"error": "the payment service is not answering"}, status=503)
        except Exception:
            # A 5xx makes Stripe deliver again later; nothing was stored, so the retry is
            # applied then. Logged with the traceback: this is a bug or an outage here.
            logger.exception("Stripe webhook %s (%s) failed", event_id, event_type)
            return JsonResponse({"error": "temporarily unavailable"}, status=503)


def _handle(event_id: str, event_type: str, obj: dict[str, Any]) -> JsonResponse:
    if WebhookEvent.objects.filter(gateway=GATEWAY, event_id=event_id).exists():
        # Saves a call to Stripe; the unique constraint below is what guarantees "once".
        return JsonResponse({"status": "duplicate"})
    plan = _plan(event_type, obj)
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookEvent.objects.create(
                    gateway=GATEWAY,
                    event_id=event_id,
                    type=event_type[:100],
                    object_id=plan.object_id[:255],
                    outcome=plan.status,
                )
        except IntegrityError:
            # The same event delivered concurrently: the other delivery applies it.
            return JsonResponse({"status": "duplicate"})
        for apply in plan.appliers:
            apply()
    return JsonResponse({"status": plan.status})


def _plan(event_type: str, obj: dict[str, Any]) -> Plan:
    """Find our rows and fetch their objects from Stripe again. Outside any transaction."""
    object_id = str(obj.get("id") or "")
    if event_type.startswith("payment_intent."):
        payment = Payment.objects.filter(gateway=GATEWAY, intent_id=object_id).first()
        if payment is None or not object_id:
            return Plan("unknown object", object_id)
        state = get_gateway(GATEWAY).retrieve_intent(object_id)
        return Plan("applied", object_id, [partial(services.payment_apply, payment, state)])
    if event_type in REFUND_EVENTS:
        found = _refunds_to_fetch(obj)
        if found is None:
            return Plan("unknown object", object_id)
        gateway = get_gateway(GATEWAY)
        appliers = [
            partial(services.refund_apply, refund, gateway.retrieve_refund(stripe_refund_id))
            for refund, stripe_refund_id in found
        ]
        return Plan("applied", object_id, appliers)
    return Plan("ignored", object_id)


def _refunds_to_fetch(obj: dict[str, Any]) -> list[tuple[Refund, str]] | None:
    """Our Refund rows an event is about, each with its Stripe refund id; None: not ours."""
    if obj.get("object") == "refund":
        stripe_id = str(obj.get("id") or "")
        # Our key is in the metadata: it finds the row even before refund_execute has
        # recorded Stripe's answer (and so the refund id).
        key = (obj.get("metadata") or {}).get("clinix_key") or ""
        match = Q(gateway_refund_id=stripe_id) if stripe_id else Q(pk__in=[])
        if key:
            match |= Q(idempotency_key=key)
        refund = Refund.objects.filter(match, payment__gateway=GATEWAY).first()
        return [(refund, stripe_id)] if refund is not None and stripe_id else None
    # A charge (charge.refunded): refresh the payment's refunds that are still open.
    payment = Payment.objects.filter(
        gateway=GATEWAY, intent_id=str(obj.get("payment_intent") or "")
    ).first()
    if payment is None or not payment.intent_id:
        return None
    return [
        (refund, refund.gateway_refund_id)
        for refund in payment.refunds.exclude(gateway_refund_id="").exclude(
            status=RefundStatus.SUCCEEDED
        )
    ]
