"""Input shapes of the patient pages. They validate; views hand cleaned data on."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.doctors.models import Specialty, SpokenLanguage
from apps.portal.selectors import SearchQuery

SORT_CHOICES = [
    ("soonest", _("Soonest available")),
    ("price", _("Lowest price")),
    ("name", _("Name")),
    ("rating", _("Highest rated")),
]


class SearchForm(forms.Form):
    all_optional = True  # every field narrows the search; no "(optional)" on each label

    q = forms.CharField(
        label=_("Specialty, service or doctor"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("e.g. dermatology, skin check")}
        ),
    )
    where = forms.CharField(
        label=_("City or clinic"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. Berlin")}),
    )
    date = forms.DateField(
        label=pgettext_lazy("search: first date", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    specialty = forms.ChoiceField(label=_("Specialty"), required=False)
    language = forms.ChoiceField(label=_("Doctor speaks"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)
    available = forms.BooleanField(label=_("Only doctors with free times"), required=False)

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["specialty"].choices = [("", _("Any specialty"))] + list(
            Specialty.objects.values_list("slug", "name")
        )
        self.fields["language"].choices = [("", _("Any language"))] + list(
            SpokenLanguage.objects.values_list("code", "name")
        )

    def clean_date(self):
        value = self.cleaned_data.get("date")
        if value and self.today and value < self.today:
            raise forms.ValidationError(_("Choose today or a later date."))
        return value

    def to_query(self) -> SearchQuery:
        data = self.cleaned_data if self.is_valid() else {}
        return SearchQuery(
            text=data.get("q", ""),
            where=data.get("where", ""),
            on_date=data.get("date"),
            specialty=data.get("specialty", ""),
            language=data.get("language", ""),
            sort=data.get("sort") or "soonest",
            available_only=bool(data.get("available")),
        )


class PickerForm(forms.Form):
    """Which clinic, service, week and day of a doctor's availability to show."""

    clinic = forms.TypedChoiceField(label=_("Clinic"), coerce=int, required=False)
    service = forms.TypedChoiceField(label=_("Service"), coerce=int, required=False)
    week = forms.DateField(required=False, widget=forms.HiddenInput)
    day = forms.DateField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, clinics, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].choices = [(c.pk, str(c)) for c in clinics]
        self.fields["service"].choices = [(s.pk, s.name) for s in services]


class BookingForm(forms.Form):
    slot = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    service = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    notes = forms.CharField(
        label=_("Anything the doctor should know?"),
        help_text=_("For example your symptoms. Only the clinic sees this."),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "data-persist": ""}),
    )
    promo_code = forms.CharField(
        label=_("Promo code"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Helps the clinic; you do not have to give one."),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RescheduleForm(forms.Form):
    slot = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class WaitlistForm(forms.Form):
    """Join a doctor's waitlist: which service, which days, this doctor or any."""

    service = forms.TypedChoiceField(label=_("Service"), coerce=int)
    date_from = forms.DateField(
        label=pgettext_lazy("waitlist: first date", "From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("waitlist: last date", "To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    only_this_doctor = forms.BooleanField(
        label=_("Only with this doctor"),
        help_text=_("Untick to take a time with any doctor who offers the service there."),
        required=False,
        initial=True,
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [(s.pk, f"{s.name} · {s.clinic.name}") for s in services]
