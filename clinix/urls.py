from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from apps.accounts.forms import RateLimitedAdminLoginForm
from apps.api.views import health

admin.site.site_header = "Clinix back office"
admin.site.site_title = "Clinix back office"
admin.site.index_title = "Your clinics"
# Brute force on /admin/login/ counts against allauth's "login_failed" limit, shared with the
# patient sign-in. Not allauth's secure_admin_login: it redirects /admin/login/ to
# /accounts/login/, where mandatory email verification stops staff created in the back office.
admin.site.login_form = RateLimitedAdminLoginForm

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg")),
    path("admin/", admin.site.urls),
    path("api/", include("apps.api.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("apps.accounts.urls")),
    path("payments/", include("apps.payments.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("staff/", include("apps.backoffice.urls")),
    path("dashboard/", include("apps.dashboard.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("apps.portal.urls")),
]

# API paths answer errors in problem JSON, never an HTML page (clinix/errors.py).
handler400 = "clinix.errors.bad_request"
handler403 = "clinix.errors.permission_denied"
handler404 = "clinix.errors.page_not_found"
handler500 = "clinix.errors.server_error"
