"""The bell, the notifications page and the channel preferences.

Every notification is looked up through the person's own list: someone else's id is a
404, whatever the action. Changes answer htmx with the fragment and a
``notifications-changed`` event (the bell refreshes itself on it); plain requests get
post/redirect/get.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling
from django_htmx.middleware import HtmxDetails

from apps.notifications import inbox, preferences, selectors
from apps.notifications.forms import NotificationPreferenceForm
from apps.notifications.models import Notification

LIST_TEMPLATE = "notifications/list.html"
PREFERENCES_TEMPLATE = "notifications/preferences.html"
PER_PAGE = 20
#: Tells the bell (and anything else listening) to ask for the count again.
CHANGED = "notifications-changed"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@never_cache
@require_GET
def bell(request: HtmxHttpRequest) -> HttpResponse:
    """The bell with the unread count, polled by every page.

    Pages render the bell without a count (no query per page); this fragment fills it in
    on load, every 30 s and on ``notifications-changed``. Signed out (in another tab, say):
    an empty answer that also stops the polling, never the sign-in page inside the header.
    """
    if not request.user.is_authenticated:
        return HttpResponseStopPolling()
    count = selectors.unread_count_for_user(user=request.user)
    return render(request, "notifications/partials/bell.html", {"unread_count": count})


@login_required
@require_GET
@vary_on_headers("HX-Request")
def notification_list(request: HtmxHttpRequest) -> HttpResponse:
    page = Paginator(selectors.notification_list_for_user(user=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    template = f"{LIST_TEMPLATE}#notification-list" if request.htmx else LIST_TEMPLATE
    return render(request, template, {"page": page})


@login_required
@require_POST
def notification_open(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    """Mark read and go where the notification points (its booking, say)."""
    notification = _mark_read(request, notification_id)
    if notification.url and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(notification.url)
    return redirect("notifications:list")


@login_required
@require_POST
@vary_on_headers("HX-Request")
def notification_read(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    notification = _mark_read(request, notification_id)
    if request.htmx:
        context = {"notification": notification, "just_read": True}
        response = render(request, f"{LIST_TEMPLATE}#notification-item", context)
        response["HX-Trigger"] = CHANGED
        return response
    return redirect(_list_url(request))


@login_required
@require_POST
@vary_on_headers("HX-Request")
def notifications_read_all(request: HtmxHttpRequest) -> HttpResponse:
    count = inbox.notifications_mark_all_read(user=request.user)
    if count:
        message = _("All notifications are marked as read.")
    else:
        message = _("You had no unread notifications.")
    if request.htmx:
        page = Paginator(
            selectors.notification_list_for_user(user=request.user), PER_PAGE
        ).get_page(request.POST.get("page"))
        context = {"page": page, "done_message": message}
        response = render(request, f"{LIST_TEMPLATE}#notification-list", context)
        response["HX-Trigger"] = CHANGED
        return response
    messages.success(request, message)
    return redirect(_list_url(request))


def _mark_read(request: HttpRequest, notification_id: int) -> Notification:
    try:
        return inbox.notification_mark_read(user=request.user, notification_id=notification_id)
    except Notification.DoesNotExist:
        raise Http404 from None


def _list_url(request: HttpRequest) -> str:
    """Back to the page of the list the person was on."""
    url = reverse("notifications:list")
    page = request.POST.get("page", "")
    return f"{url}?page={page}" if page.isdigit() and page != "1" else url


@login_required
@require_http_methods(["GET", "POST"])
def preference_edit(request: HtmxHttpRequest) -> HttpResponse:
    """E-mail and text messages on or off (in-app messages always arrive). Text messages
    need a phone number in the patient profile; without one the page says where to add it."""
    user = request.user
    phone = selectors.sms_number_for_user(user=user)
    form_kwargs = {"email_address": user.email, "phone": phone}
    if request.method == "GET":
        current = selectors.notification_preference_get(user=user)
        initial = {"email": current.email, "sms": current.sms and bool(phone)}
        form = NotificationPreferenceForm(initial=initial, **form_kwargs)
        return _preferences_page(request, form, phone)
    form = NotificationPreferenceForm(request.POST, **form_kwargs)
    if not form.is_valid():
        return _preferences_page(request, form, phone, status=422)
    preferences.notification_preference_update(user=user, actor=user, **form.cleaned_data)
    messages.success(request, _("Your notification settings have been saved."))
    return redirect("notifications:preferences")


def _preferences_page(request, form, phone: str, status: int = 200) -> HttpResponse:
    return render(request, PREFERENCES_TEMPLATE, {"form": form, "phone": phone}, status=status)
