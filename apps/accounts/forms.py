from django import forms
from django.utils.translation import gettext_lazy as _


class PatientSignupForm(forms.Form):
    """Extra fields on allauth's sign-up form; allauth calls ``signup`` after creating the user."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)

    def signup(self, request, user) -> None:
        # The adapter already saved the names and created the patient profile.
        pass
