from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.accounts import services


class AccountAdapter(DefaultAccountAdapter):
    """allauth, the Clinix way: everyone who signs up on the website is a patient.

    The user, their role and their profile are written by one service
    (``services.patient_register``), in the transaction ``PatientSignupForm.save`` opens, so
    a failure leaves no half-made account behind.
    """

    # Plain words in the GOV.UK manner: what happened and what to do next.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": _(
            "The email address or password is not right. Check both and try again."
        ),
        "too_many_login_attempts": _(
            "Too many failed attempts to sign in. For your safety, sign-in is paused for "
            "this account: wait 5 minutes and try again, or reset your password."
        ),
        "enter_current_password": _("Enter your current password."),
        "incorrect_password": _("The password is not right. Check it and try again."),
        "email_taken": _("An account with this email address already exists."),
        "rate_limited": _("You are sending too many requests. Wait a minute and try again."),
    }

    def save_user(self, request, user, form, commit=True):
        if not commit:
            # Only social sign-up asks for an unsaved user, and Clinix has none.
            return super().save_user(request, user, form, commit=False)
        data = form.cleaned_data
        # The language the person used the site in while signing up.
        language = get_language()
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        return services.patient_register(
            email=data["email"],
            password=data.get("password1"),
            first_name=data["first_name"],
            last_name=data["last_name"],
            preferred_language=language,
        )
