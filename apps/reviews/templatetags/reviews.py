"""Display helpers for ratings. Presentation only: the numbers come from selectors."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

from apps.reviews.models import RATING_MAX

register = template.Library()


@register.filter
def stars(value) -> str:
    """'★★★★☆' for 4 (or 3.5: rounded half up). Decorative: pages say the number in words."""
    if value is None:
        return "☆" * RATING_MAX
    full = int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    full = max(0, min(RATING_MAX, full))
    return "★" * full + "☆" * (RATING_MAX - full)
