from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from apps.accounts import selectors, services
from apps.accounts.forms import ApiTokenCreateForm, PatientProfileForm
from apps.accounts.middleware import SESSION_LANGUAGE_KEY

PROFILE_TEMPLATE = "accounts/profile.html"
TOKENS_TEMPLATE = "accounts/tokens.html"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def profile(request: HtmxHttpRequest) -> HttpResponse:
    """The signed-in person's name and patient profile. htmx posts get the form fragment back.

    Staff without a patient profile see a note and get one when they first save: a doctor
    may book with a colleague like anyone else.
    """
    user = request.user
    current = selectors.patient_profile_get(user=user)
    if request.method == "GET":
        return _profile_page(request, PatientProfileForm.for_user(user, current), current)
    form = PatientProfileForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, form, current, status=422)
    saved = services.patient_profile_update(user=user, actor=user, **form.cleaned_data)
    # The language applies from this response on: the session for later requests.
    request.session[SESSION_LANGUAGE_KEY] = saved.preferred_language
    translation.activate(saved.preferred_language)
    language_changed = current is None or current.preferred_language != saved.preferred_language
    if request.htmx and not language_changed:
        response = _profile_page(request, PatientProfileForm.for_user(user, saved), saved, True)
        response["HX-Trigger"] = "profile-saved"
        return response
    messages.success(request, _("Your profile has been saved."))
    if request.htmx:  # A new language: the whole page again, not just the form.
        return HttpResponseClientRedirect(reverse("accounts:profile"))
    return redirect("accounts:profile")


def _profile_page(
    request: HtmxHttpRequest, form, current, saved: bool = False, status: int = 200
) -> HttpResponse:
    context = {"form": form, "saved": saved, "has_profile": current is not None}
    if request.htmx:
        return render(request, f"{PROFILE_TEMPLATE}#profile-form", context, status=status)
    context["email_verified"] = selectors.user_has_verified_email(request.user)
    return render(request, PROFILE_TEMPLATE, context, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request: HtmxHttpRequest) -> HttpResponse:
    """The signed-in person's personal API tokens, and a form to create one.

    A created token's secret lives in this one response only: never in the session or a
    message, so no post/redirect/get. The page answers 201 instead; refreshing it makes the
    browser ask before posting again (a second token would be harmless: listed, revocable).
    ``never_cache`` keeps the secret out of the browser's cache and back/forward history.
    """
    if request.method == "GET":
        return _tokens_page(request, ApiTokenCreateForm())
    form = ApiTokenCreateForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form, status=422)
    token, secret = services.api_token_create(user=request.user, **form.cleaned_data)
    return _tokens_page(request, ApiTokenCreateForm(), created=token, secret=secret, status=201)


def _tokens_page(
    request: HtmxHttpRequest, form, created=None, secret: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "tokens": selectors.api_token_list_for_user(user=request.user),
        "created": created,
        "secret": secret,
    }
    return render(request, TOKENS_TEMPLATE, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def token_revoke(request: HtmxHttpRequest, token_id: int) -> HttpResponse:
    """Ask (GET), then revoke (POST) one of the person's own tokens.

    The list's Revoke link leads here without JavaScript; with htmx it posts at once after
    the browser's confirm dialog and gets the token list back. Someone else's token is a 404
    either way: the selector only finds the person's own.
    """
    token = selectors.api_token_get_for_user(user=request.user, token_id=token_id)
    if token is None:
        raise Http404
    if request.method == "GET":
        if token.revoked_at is not None:  # Nothing left to confirm.
            return redirect("accounts:tokens")
        return render(request, "accounts/token_revoke.html", {"token": token})
    services.api_token_revoke(token=token, actor=request.user)
    message = _("The token “%(name)s” is revoked. Nothing can sign in with it any more.") % {
        "name": token.name
    }
    if request.htmx:
        context = {
            "tokens": selectors.api_token_list_for_user(user=request.user),
            "revoked_message": message,
        }
        response = render(request, f"{TOKENS_TEMPLATE}#token-list", context)
        response["HX-Trigger"] = "token-revoked"
        return response
    messages.success(request, message)
    return redirect("accounts:tokens")
