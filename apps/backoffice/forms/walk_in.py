"""Forms of the walk-in and phone booking page. They validate; the views call the services."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps.accounts.forms import (
    EMAIL_FORMAT_MESSAGE,
    DateOfBirthField,
    PatientProfileForm,
    RadiosWidget,
)
from apps.accounts.models import Sex

#: The patient profile's phone rules (format, length), the same for staff and patients.
_PHONE_VALIDATORS = PatientProfileForm.base_fields["phone"].validators


class NewPatientForm(forms.Form):
    """Someone new at the desk or on the phone. An e-mail address or a phone number."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        error_messages={"required": _("Enter the patient's first name")},
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        error_messages={"required": _("Enter the patient's last name")},
    )
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        help_text=_("For confirmations and reminders. Leave it empty if they have none."),
        error_messages={"invalid": EMAIL_FORMAT_MESSAGE},
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        help_text=_("Needed when there is no email address. For example, +49 30 1234 5678"),
        validators=_PHONE_VALIDATORS,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    date_of_birth = DateOfBirthField(
        label=_("Date of birth"), required=False, help_text=_("For example, 27 3 1985")
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=Sex.choices,
        initial=Sex.UNDISCLOSED,
        widget=RadiosWidget,
        error_messages={"required": _("Select an answer, or “Prefer not to say”")},
    )
    preferred_language = forms.ChoiceField(
        label=_("Language for emails and messages"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
        widget=RadiosWidget,
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("email") and not data.get("phone"):
            self.add_error("email", _("Enter an email address or a phone number"))
        return data


class WalkInBookForm(forms.Form):
    """The time chosen for the patient: which slot, which service, any note."""

    patient = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    service = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # Any slot id: whether it can still be booked is the booking service's answer.
    slot = forms.IntegerField(
        label=_("Time"), min_value=1, error_messages={"required": _("Choose a time")}
    )
    notes = forms.CharField(
        label=_("Note for the doctor"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
