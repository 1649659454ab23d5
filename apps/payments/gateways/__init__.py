from django.conf import settings
from django.utils.module_loading import import_string

from apps.payments.gateways.base import Gateway, GatewayError, IntentState, RefundState

GATEWAYS = {
    "simulated": "apps.payments.gateways.simulated.SimulatedGateway",
    "stripe": "apps.payments.gateways.stripe.StripeGateway",
}

__all__ = ["Gateway", "GatewayError", "IntentState", "RefundState", "get_gateway"]


def get_gateway(name: str | None = None) -> Gateway:
    """The gateway called ``name``, or the configured one (PAYMENT_GATEWAY)."""
    return import_string(GATEWAYS[name or settings.PAYMENT_GATEWAY])()
