from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from apps.accounts import selectors, services
from apps.accounts.forms import PatientProfileForm
from apps.accounts.middleware import SESSION_LANGUAGE_KEY

PROFILE_TEMPLATE = "accounts/profile.html"


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
