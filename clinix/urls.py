from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Clinix back office"
admin.site.site_title = "Clinix back office"
admin.site.index_title = "Your clinics"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("account/", include("apps.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("apps.portal.urls")),
]
