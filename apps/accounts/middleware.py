from django.conf import settings
from django.utils import translation

#: Session key holding a signed-in person's chosen language (set at login and on profile save).
SESSION_LANGUAGE_KEY = "clinix_language"


class PreferredLanguageMiddleware:
    """Use the language a signed-in person chose in their profile.

    LocaleMiddleware already picked one from the cookie or the browser; a choice stored in
    the session (no query per request) wins over both. Signing out flushes the session, and
    with it the choice.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.session.get(SESSION_LANGUAGE_KEY)
        if language in self.supported:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # The footer picker (Django's set_language) only sets the language cookie, which the
        # session choice above would overrule: a pick made while signed in holds for the
        # rest of the session. The profile keeps the lasting choice.
        picked = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        if picked is not None and language is not None and picked.value in self.supported:
            request.session[SESSION_LANGUAGE_KEY] = picked.value
        return response
