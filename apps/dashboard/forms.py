"""The dashboard filters: a local date range, one clinic or all the viewer's, a period."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.dashboard.scope import Granularity, Scope

MAX_RANGE_DAYS = 731  # two years
MAX_DAILY_DAYS = 92  # more days than this make an unreadable chart: weeks or months then
DEFAULT_DAYS = 30

GRANULARITY_CHOICES = [
    (Granularity.DAY, _("Day")),
    (Granularity.WEEK, _("Week")),
    (Granularity.MONTH, _("Month")),
]


_SHORT_NAMES = {"date_from": "from", "date_to": "to"}


class DashboardFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    clinic = forms.ModelChoiceField(
        label=_("Clinic"),
        queryset=None,
        required=False,
        empty_label=_("All my clinics"),
        error_messages={"invalid_choice": _("Choose one of your clinics.")},
    )
    granularity = forms.ChoiceField(label=_("Show by"), choices=GRANULARITY_CHOICES)

    def __init__(self, data, *, clinics, **kwargs):
        today = timezone.localdate()
        defaults = {
            "from": (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
            "to": today.isoformat(),
            "granularity": Granularity.DAY,
        }
        given = {key: data.get(key) for key in (*defaults, "clinic") if data.get(key)}
        super().__init__({**defaults, **given}, **kwargs)
        self.clinics = clinics
        self.fields["clinic"].queryset = clinics

    def add_prefix(self, field_name):
        """Short names in the query string: ?from=2026-11-01&to=2026-11-30."""
        return _SHORT_NAMES.get(field_name, field_name)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", _("The end date must be on or after the start date."))
            elif (end - start).days + 1 > MAX_RANGE_DAYS:
                self.add_error("date_to", _("Choose a range of at most two years."))
            elif (
                data.get("granularity") == Granularity.DAY
                and (end - start).days + 1 > MAX_DAILY_DAYS
            ):
                self.add_error(
                    "granularity",
                    _("Show a range longer than three months by week or by month."),
                )
        return data

    def scope(self) -> Scope:
        clinic = self.cleaned_data["clinic"]
        clinics = self.clinics.filter(pk=clinic.pk) if clinic else self.clinics
        return Scope(
            clinics=clinics,
            date_from=self.cleaned_data["date_from"],
            date_to=self.cleaned_data["date_to"],
            granularity=self.cleaned_data["granularity"],
        )
