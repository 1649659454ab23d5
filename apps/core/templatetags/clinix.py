from datetime import datetime

from django import template

from apps.core.money import Money

register = template.Library()


@register.filter
def money(amount_minor: int | None, currency: str) -> str:
    """{{ service.price_minor|money:clinic.currency }} → "€45.00"."""
    if amount_minor is None:
        return ""
    return str(Money(int(amount_minor), currency))


@register.filter
def in_zone(value: datetime | None, zone) -> datetime | None:
    """{{ booking.starts_at|in_zone:clinic.tz|date:"D j M, H:i" }}: shown in the clinic's zone."""
    if value is None:
        return None
    return value.astimezone(zone)
