from django.urls import path

from apps.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("clinics/<slug:slug>/", views.clinic_detail, name="clinic-detail"),
    path("doctors/<slug:slug>/", views.doctor_detail, name="doctor-detail"),
    path("book/", views.book, name="book"),
    path("appointments/", views.appointment_list, name="appointment-list"),
    path("appointments/<str:reference>/", views.appointment_detail, name="appointment-detail"),
    path(
        "appointments/<str:reference>/cancel/",
        views.appointment_cancel,
        name="appointment-cancel",
    ),
    path(
        "appointments/<str:reference>/reschedule/",
        views.appointment_reschedule,
        name="appointment-reschedule",
    ),
    path(
        "appointments/<str:reference>/calendar.ics",
        views.appointment_calendar,
        name="appointment-calendar",
    ),
]
