"""Account forms: allauth's, reworded and without placeholders; the patient profile; the
back-office sign-in behind allauth's rate limit.

Forms validate only. Writes go through ``apps.accounts.services``.
"""

from datetime import date

from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import PatientProfile, Sex, User

PASSWORD_HINT = _(
    "At least 8 characters. Not a common password, not only numbers and not like your "
    "name or email address."
)
EMAIL_FORMAT_MESSAGE = _("Enter an email address in the right format, like name@example.com")
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


class _PlainFields:
    """Labels above the fields, hints only where they help, errors that say what to do.

    allauth puts each label in a placeholder too; placeholders vanish while typing and are
    often read as already filled in, so they go (GOV.UK advice).
    """

    labels: dict = {}
    hints: dict = {}
    required_messages: dict = {}

    def _plain_fields(self) -> None:
        for name, field in self.fields.items():
            field.widget.attrs.pop("placeholder", None)
            if name in self.labels:
                field.label = self.labels[name]
            if name in self.hints:
                field.help_text = self.hints[name]
            if name in self.required_messages:
                field.error_messages["required"] = self.required_messages[name]
            if isinstance(field, forms.EmailField):
                field.error_messages["invalid"] = EMAIL_FORMAT_MESSAGE


class LoginForm(_PlainFields, allauth_forms.LoginForm):
    labels = {"login": _("Email address"), "remember": _("Keep me signed in on this device")}
    # The "Forgotten your password?" link sits below the form instead of in the hint.
    hints = {"password": ""}
    required_messages = {
        "login": _("Enter your email address"),
        "password": _("Enter your password"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_fields()


class PatientSignupForm(_PlainFields, allauth_forms.SignupForm):
    """Email, name and a password typed twice. The adapter makes the account a patient."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )

    field_order = ["email", "first_name", "last_name", "password1", "password2"]
    labels = {
        "email": _("Email address"),
        "password1": _("Create a password"),
        "password2": _("Type the password again"),
    }
    hints = {
        "email": _("We send a link to this address to confirm it is yours."),
        "password1": PASSWORD_HINT,
    }
    required_messages = {
        "email": _("Enter your email address"),
        "first_name": _("Enter your first name"),
        "last_name": _("Enter your last name"),
        "password1": _("Create a password"),
        "password2": _("Type the password again"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_fields()

    def save(self, request):
        # allauth writes the user (through the adapter) and then its e-mail address in
        # separate statements; one transaction means no account without its address.
        with transaction.atomic():
            return super().save(request)


class ResetPasswordForm(_PlainFields, allauth_forms.ResetPasswordForm):
    labels = {"email": _("Email address")}
    hints = {"email": _("The address you use to sign in to Clinix.")}
    required_messages = {"email": _("Enter your email address")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_fields()


class ResetPasswordKeyForm(_PlainFields, allauth_forms.ResetPasswordKeyForm):
    labels = {"password1": _("New password"), "password2": _("Type the new password again")}
    hints = {"password1": PASSWORD_HINT}
    required_messages = {
        "password1": _("Enter a new password"),
        "password2": _("Type the new password again"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_fields()


class ChangePasswordForm(_PlainFields, allauth_forms.ChangePasswordForm):
    labels = {
        "oldpassword": _("Current password"),
        "password1": _("New password"),
        "password2": _("Type the new password again"),
    }
    hints = {"oldpassword": "", "password1": PASSWORD_HINT}
    required_messages = {
        "oldpassword": _("Enter your current password"),
        "password1": _("Enter a new password"),
        "password2": _("Type the new password again"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_fields()


class SetPasswordForm(_PlainFields, allauth_forms.SetPasswordForm):
    labels = {"password1": _("Password"), "password2": _("Type the password again")}
    hints = {"password1": PASSWORD_HINT}
    required_messages = {
        "password1": _("Enter a password"),
        "password2": _("Type the password again"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_fields()


class AddEmailForm(_PlainFields, allauth_forms.AddEmailForm):
    labels = {"email": _("New email address")}
    hints = {"email": _("We send a link to this address to confirm it is yours.")}
    required_messages = {"email": _("Enter the email address to add")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_fields()


# --- Patient profile --------------------------------------------------------------------------


class DateOfBirthWidget(forms.MultiWidget):
    """Day, month and year boxes (the GOV.UK date input): easier than a calendar picker for a
    date decades ago. Gives the date field "YYYY-MM-DD", or the parts as typed when they are
    not a real date, so the field can say what is wrong."""

    template_name = "accounts/widgets/date_of_birth.html"
    use_fieldset = True

    def __init__(self):
        def part(size: int, autocomplete: str) -> forms.TextInput:
            attrs = {"inputmode": "numeric", "size": size, "autocomplete": autocomplete}
            return forms.TextInput(attrs=attrs)

        super().__init__(
            {
                "day": part(2, "bday-day"),
                "month": part(2, "bday-month"),
                "year": part(4, "bday-year"),
            }
        )

    def decompress(self, value):
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        if isinstance(value, str) and value.count("-") == 2:  # Typed, not a real date.
            year, month, day = value.split("-")
            return [day, month, year]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        if name in data:  # One "YYYY-MM-DD" value (a script or a test) is fine too.
            return data[name]
        day, month, year = (
            (data.get(f"{name}_{part}") or "").strip() for part in ("day", "month", "year")
        )
        if not (day or month or year):
            return ""
        return f"{year}-{month}-{day}"

    def value_omitted_from_data(self, data, files, name):
        return name not in data and all(
            f"{name}_{part}" not in data for part in ("day", "month", "year")
        )


class RadiosWidget(forms.RadioSelect):
    """Large radio buttons with the whole label clickable (44 px targets)."""

    template_name = "accounts/widgets/radios.html"


class DateOfBirthField(forms.DateField):
    widget = DateOfBirthWidget
    default_error_messages = {
        "invalid": _("Date of birth must be a real date, for example 27 3 1985"),
    }

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m-%d"], **kwargs)

    def to_python(self, value):
        if isinstance(value, str) and value.count("-") == 2:
            year, month, day = (part.strip() for part in value.split("-"))
            if (year or month or day) and not (year and month and day):
                raise ValidationError(
                    _("Date of birth must include a day, a month and a year"), "incomplete"
                )
            if year and len(year) != 4:
                raise ValidationError(_("Year must include 4 numbers"), "year")
        return super().to_python(value)

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if value > timezone.localdate():
            raise ValidationError(_("Date of birth must be today or in the past"), "future")
        if value < EARLIEST_BIRTH_DATE:
            raise ValidationError(_("Date of birth must be in 1900 or later"), "too_early")


class PatientProfileForm(forms.Form):
    """What a patient tells us about themselves. ``services.patient_profile_update`` saves it."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        error_messages={"required": _("Enter your first name")},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        error_messages={"required": _("Enter your last name")},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    date_of_birth = DateOfBirthField(
        label=_("Date of birth"),
        required=False,
        help_text=_("For example, 27 3 1985"),
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=Sex.choices,
        widget=RadiosWidget,
        help_text=_("Some services and offers depend on it. You can choose not to say."),
        error_messages={"required": _("Select an answer, or “Prefer not to say”")},
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        required=False,
        help_text=_("For urgent changes to an appointment. For example, +49 30 1234 5678"),
        validators=[
            RegexValidator(
                r"^\+?[0-9][0-9 ()/.-]{5,30}$",
                _("Enter a phone number, like 030 1234 5678 or +49 30 1234 5678"),
            )
        ],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    preferred_language = forms.ChoiceField(
        label=_("Language for the website and emails"),
        choices=settings.LANGUAGES,
        widget=RadiosWidget,
        error_messages={"required": _("Select a language")},
    )

    @classmethod
    def for_user(cls, user: User, profile: PatientProfile | None) -> "PatientProfileForm":
        """The unbound form, filled in with what we know (a missing profile: its defaults)."""
        profile = profile or PatientProfile(user=user)
        return cls(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "date_of_birth": profile.date_of_birth,
                "sex": profile.sex,
                "phone": profile.phone,
                "preferred_language": profile.preferred_language,
            }
        )


# --- Personal API tokens ---------------------------------------------------------------------

API_TOKEN_DEFAULT_DAYS = 90
API_TOKEN_MAX_DAYS = 3650  # The API's limit too (apps/api/serializers.py).


class ApiTokenCreateForm(forms.Form):
    """Name a new personal API token and say how long it works. ``services.api_token_create``
    makes it."""

    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, so you can tell your tokens apart later."),
        error_messages={
            "required": _("Enter a name for the token"),
            "max_length": _("Token name must be 100 characters or fewer"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    # A text box with a numeric keyboard, not type=number: browsers change those on a
    # scroll and drop what they cannot parse (GOV.UK advice).
    expires_in_days = forms.IntegerField(
        label=_("Days until it expires"),
        required=False,
        initial=API_TOKEN_DEFAULT_DAYS,
        min_value=1,
        max_value=API_TOKEN_MAX_DAYS,
        help_text=_(
            "From 1 to 3650 days. Left empty, it expires after 90 days. After that it stops "
            "working and you can create a new one."
        ),
        error_messages={
            "invalid": _("Enter the number of days as a whole number, like 90"),
            "min_value": _("Enter a number of days from 1 to 3650"),
            "max_value": _("Enter a number of days from 1 to 3650"),
        },
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "class": "input--narrow", "autocomplete": "off"}
        ),
    )

    def clean_expires_in_days(self) -> int:
        # Empty means the default, never "no expiry": a forgotten token should die on its own.
        value = self.cleaned_data["expires_in_days"]
        return API_TOKEN_DEFAULT_DAYS if value is None else value


# --- Back office ----------------------------------------------------------------------------


class RateLimitedAdminLoginForm(AdminAuthenticationForm):
    """The Django admin's sign-in, counted against allauth's ``login_failed`` rate limit.

    It shares the buckets (per IP address and per email address) with the patient sign-in,
    so switching doors gains an attacker nothing. allauth's ``secure_admin_login`` would
    instead redirect /admin/login/ to /accounts/login/, where mandatory email verification
    would stop every staff member created in the back office (they have no verified
    allauth address); see the note in clinix/urls.py.
    """

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            adapter = get_adapter(self.request)
            # Raises the "too many attempts" ValidationError once the limit is reached;
            # a failed attempt counts, a successful one is taken back.
            user = adapter.authenticate(self.request, email=email, password=password)
            if user is None or not user.is_active:
                raise self.get_invalid_login_error()
            self.user_cache = user
            self.confirm_login_allowed(user)
        return self.cleaned_data
