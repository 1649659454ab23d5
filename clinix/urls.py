from django.contrib import admin
from django.urls import path

from clinix import views

admin.site.site_header = "Clinix back office"
admin.site.site_title = "Clinix back office"
admin.site.index_title = "Your clinics"

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
]
