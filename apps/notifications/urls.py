from django.urls import path

from apps.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.bell, name="bell"),
    path("read-all/", views.notifications_read_all, name="read-all"),
    path("<int:notification_id>/open/", views.notification_open, name="open"),
    path("<int:notification_id>/read/", views.notification_read, name="read"),
    path("preferences/", views.preference_edit, name="preferences"),
]
