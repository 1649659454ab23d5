"""Forms of the day sheet. They validate; the views hand cleaned data to the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

#: A cancellation on the clinic's behalf is explained to the patient: a word is not enough.
REASON_MIN_LENGTH = 5


class StaffCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        help_text=_("The patient is told this reason. They get a full refund of anything paid."),
        min_length=REASON_MIN_LENGTH,
        max_length=300,
        strip=True,
        error_messages={
            "required": _("Enter the reason for cancelling"),
            "min_length": _("Reason must be at least %(limit_value)d characters"),
            "max_length": _("Reason must be 300 characters or fewer"),
        },
        # Opened in place on the day sheet: the cursor goes straight to the reason.
        widget=forms.Textarea(attrs={"rows": 2, "data-autofocus": True}),
    )
