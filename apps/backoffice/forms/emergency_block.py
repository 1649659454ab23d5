"""Emergency block: which doctor, which clinic-local range, why; then a choice per booking."""

import re
from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.bookings import emergency
from apps.bookings.emergency import Choice, Decision

#: The per-booking choice on the preview: "decision-<booking id>" = "cancel" or "move-<slot id>".
DECISION_FIELD = re.compile(r"^decision-(\d{1,18})$")
_MOVE_VALUE = re.compile(r"^move-(\d{1,18})$")


class ClinicDateTimeField(forms.Field):
    """A wall-clock date and time, as typed: naive. The form makes it aware in the clinic's
    zone (the site's zone plays no part)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    default_error_messages = {"invalid": _("Enter a date and time, like 2026-03-14 14:30.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if parsed.tzinfo is not None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed.replace(second=0, microsecond=0)


class EmergencyBlockForm(forms.Form):
    clinic = forms.ModelChoiceField(
        label=_("Clinic"),
        queryset=None,
        empty_label=_("Choose a clinic"),
        error_messages={
            "required": _("Choose the clinic."),
            "invalid_choice": _("Choose one of your clinics."),
        },
    )
    doctor = forms.ModelChoiceField(
        label=_("Doctor"),
        queryset=None,
        empty_label=_("Choose a doctor"),
        error_messages={
            "required": _("Choose the doctor."),
            "invalid_choice": _("Choose a doctor who works at this clinic."),
        },
    )
    starts = ClinicDateTimeField(
        label=_("From"), error_messages={"required": _("Enter when the block starts.")}
    )
    ends = ClinicDateTimeField(
        label=_("Until"), error_messages={"required": _("Enter when the block ends.")}
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        error_messages={"required": _("Enter the reason for the block.")},
        help_text=_("Recorded with the block and on every appointment it cancels."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, clinics, now: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self.fields["clinic"].queryset = clinics.order_by("name", "pk")
        # With htmx, choosing a clinic fills the doctor list in place (typed values kept).
        self.fields["clinic"].widget.attrs.update(
            {
                "hx-get": reverse("backoffice:emergency-block"),
                "hx-trigger": "change",
                "hx-target": "#emergency",
                "hx-include": "closest form",
            }
        )
        self.clinic = self._chosen_clinic()
        doctors = emergency.doctor_list_at_clinic(self.clinic) if self.clinic else None
        self.fields["doctor"].queryset = (
            doctors if doctors is not None else self.fields["clinic"].queryset.none()
        )
        if self.clinic is not None:
            zone = _("%(city)s time") % {"city": self.clinic.tz_city}
            self.fields["starts"].label = _("From (%(zone)s)") % {"zone": zone}
            self.fields["ends"].label = _("Until (%(zone)s)") % {"zone": zone}
        else:
            self.fields["doctor"].help_text = _("Choose the clinic first.")

    def _chosen_clinic(self):
        raw = (self.data if self.is_bound else self.initial).get("clinic")
        if raw in (None, ""):
            queryset = self.fields["clinic"].queryset
            only = list(queryset[:2])
            if len(only) != 1:
                return None
            self.fields["clinic"].initial = only[0].pk  # one clinic: chosen already
            return only[0]
        try:
            return self.fields["clinic"].queryset.filter(pk=int(raw)).first()
        except (TypeError, ValueError):
            return None

    def clean(self):
        data = super().clean()
        clinic, starts, ends = data.get("clinic"), data.get("starts"), data.get("ends")
        if clinic is None or starts is None or ends is None:
            return data
        data["starts_at"] = self._aware(starts, clinic, "starts")
        data["ends_at"] = self._aware(ends, clinic, "ends")
        if data["starts_at"] is None or data["ends_at"] is None:
            return data
        if data["ends_at"] <= data["starts_at"]:
            self.add_error("ends", _("The end must be after the start."))
        elif data["ends_at"] <= self.now:
            self.add_error("ends", _("This time is already over. Choose an end still to come."))
        elif data["ends_at"] - data["starts_at"] > timedelta(days=emergency.MAX_RANGE_DAYS):
            self.add_error(
                "ends",
                _("Block at most %(days)s days at once. A longer absence is leave.")
                % {"days": emergency.MAX_RANGE_DAYS},
            )
        return data

    def _aware(self, wall: datetime, clinic, field: str) -> datetime | None:
        aware = wall.replace(tzinfo=clinic.tz)
        # A time skipped by the clocks going forward does not survive the round trip.
        if aware.astimezone(clinic.tz).replace(tzinfo=None) != wall:
            self.add_error(
                field,
                _("This time does not exist in %(city)s (the clocks change).")
                % {"city": clinic.tz_city},
            )
            return None
        return aware


def parse_decisions(data) -> dict[int, Decision]:
    """The per-booking choices of the preview form. Raises ValidationError on a value
    that no page of ours sends."""
    decisions: dict[int, Decision] = {}
    for key in data:
        match = DECISION_FIELD.match(key)
        if not match:
            continue
        value = data.get(key, "")
        if value == Choice.CANCEL:
            decisions[int(match[1])] = Decision(Choice.CANCEL)
        elif move := _MOVE_VALUE.match(value):
            decisions[int(match[1])] = Decision(Choice.MOVE, int(move[1]))
        else:
            raise ValidationError(_("Choose to move or to cancel each appointment."))
    return decisions
