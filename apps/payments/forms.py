from django import forms
from django.utils.translation import gettext_lazy as _


class SimulatedCardForm(forms.Form):
    """The simulated gateway's card form. Nothing typed here is stored."""

    name = forms.CharField(label=_("Name on the card"), max_length=100)
    number = forms.RegexField(
        label=_("Card number"),
        regex=r"^[\d ]{12,23}$",
        error_messages={"invalid": _("Enter the card number: 12 to 19 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number"}),
    )
    expiry = forms.RegexField(
        label=_("Expiry (MM/YY)"),
        regex=r"^(0[1-9]|1[0-2])\s?/\s?\d{2}$",
        error_messages={"invalid": _("Enter the expiry as MM/YY.")},
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "MM/YY"}),
    )
    cvc = forms.RegexField(
        label=_("Security code"),
        regex=r"^\d{3,4}$",
        error_messages={"invalid": _("Enter the 3 or 4 digits on the back of the card.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-csc"}),
    )
