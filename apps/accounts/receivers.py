"""Reactions to Django's own authentication signals (not to this app's models)."""

from django.utils import translation

from apps.accounts import selectors
from apps.accounts.middleware import SESSION_LANGUAGE_KEY


def language_from_profile_on_login(sender, request, user, **kwargs) -> None:
    """Signing in switches the site to the language chosen in the patient's profile.

    Runs after Django has cycled the session key, so the choice lands in the new session.
    Staff without a patient profile keep whatever the browser or the picker chose.
    """
    if request is None or not hasattr(request, "session"):
        return
    language = selectors.patient_preferred_language(user=user)
    if language:
        request.session[SESSION_LANGUAGE_KEY] = language
        translation.activate(language)  # The "you are signed in" message, too.
