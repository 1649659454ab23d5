"""Notification forms. Validate only; ``preferences.notification_preference_update`` saves."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.notifications.exceptions import SmsNeedsPhone


class NotificationPreferenceForm(forms.Form):
    email = forms.BooleanField(label=_("E-mail"), required=False)
    sms = forms.BooleanField(label=_("Text message"), required=False)

    def __init__(self, *args, email_address: str, phone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.phone = phone
        self.fields["email"].help_text = _("To %(address)s") % {"address": email_address}
        if phone:
            self.fields["sms"].help_text = _("To %(phone)s") % {"phone": phone}
        else:
            # Not Django's ``disabled``: that would ignore a posted value instead of
            # saying what to do about it.
            self.fields["sms"].widget.attrs["disabled"] = True
            self.fields["sms"].help_text = _("You need a phone number in your profile first.")

    def clean_sms(self) -> bool:
        sms = self.cleaned_data["sms"]
        if sms and not self.phone:
            raise ValidationError(SmsNeedsPhone.message, code=SmsNeedsPhone.code)
        return sms
