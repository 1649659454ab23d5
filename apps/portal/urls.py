from django.urls import path

from apps.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("clinics/<slug:slug>/", views.clinic_detail, name="clinic-detail"),
    path("clinics/<slug:slug>/reviews/", views.clinic_reviews, name="clinic-reviews"),
    path("doctors/<slug:slug>/", views.doctor_detail, name="doctor-detail"),
    path("doctors/<slug:slug>/reviews/", views.doctor_reviews, name="doctor-reviews"),
    path("doctors/<slug:slug>/waitlist/", views.waitlist_join, name="waitlist-join"),
    path("waitlist/<int:entry_id>/leave/", views.waitlist_leave, name="waitlist-leave"),
    path("waitlist/offers/<int:offer_id>/", views.waitlist_offer, name="waitlist-offer"),
    path(
        "waitlist/offers/<int:offer_id>/accept/",
        views.waitlist_offer_accept,
        name="waitlist-offer-accept",
    ),
    path(
        "waitlist/offers/<int:offer_id>/decline/",
        views.waitlist_offer_decline,
        name="waitlist-offer-decline",
    ),
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
        "appointments/<str:reference>/review/",
        views.review_write,
        name="review-write",
    ),
    path(
        "appointments/<str:reference>/calendar.ics",
        views.appointment_calendar,
        name="appointment-calendar",
    ),
]
