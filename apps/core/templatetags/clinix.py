from datetime import datetime

from django import template
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

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


@register.filter
def clinic_time(value: datetime | None, clinic) -> str:
    """ "Tue 24 Nov, 09:15 (Berlin time)": the clinic's local time with its zone named,
    day and month names in the active language."""
    if value is None:
        return ""
    when = formats.date_format(value.astimezone(clinic.tz), _("D j M, H:i"))
    return _("%(when)s (%(city)s time)") % {"when": when, "city": clinic.tz_city}


@register.filter
def clinic_hm(value: datetime | None, clinic) -> str:
    """Just the clinic-local hour and minute: "09:15"."""
    if value is None:
        return ""
    return formats.date_format(value.astimezone(clinic.tz), "H:i")


@register.filter
def initials(name: str) -> str:
    parts = [p for p in name.replace("Dr.", "").split() if p]
    return "".join(p[0] for p in parts[:2]).upper()


# Named date formats, translatable: each language orders day, month and year its own way.
DATE_FORMATS = {
    "day": pgettext_lazy("date format: weekday, day and month", "l j F"),
    "day_month": pgettext_lazy("date format: day and short month", "j M"),
    "day_month_year": pgettext_lazy("date format: day, short month, year", "j M Y"),
    "weekday_day_month_year": pgettext_lazy("date format: short weekday and date", "D j M Y"),
}


@register.filter
def datefmt(value, name: str) -> str:
    """{{ day|datefmt:"day" }} → "Monday 23 November" / "Montag, 23. November"."""
    if value is None:
        return ""
    return formats.date_format(value, str(DATE_FORMATS[name]))
