from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from apps.api.schema import SchemaView
from apps.api.views import bookings, catalog, me, problems, reviews, slots, staff

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.include_format_suffixes = False
router.register("clinics", catalog.ClinicViewSet, basename="clinic")
router.register("services", catalog.ServiceViewSet, basename="service")
router.register("doctors", catalog.DoctorViewSet, basename="doctor")
router.register("bookings", bookings.BookingViewSet, basename="booking")
router.register("me/tokens", me.ApiTokenViewSet, basename="api-token")
router.register("staff/bookings", staff.StaffBookingViewSet, basename="staff-booking")

app_name = "api"

urlpatterns = [
    path("v1/slots/", slots.SlotListView.as_view(), name="slot-list"),
    path("v1/me/", me.MeView.as_view(), name="me"),
    path(
        "v1/doctors/<int:id>/reviews/",
        reviews.DoctorReviewListView.as_view(),
        name="doctor-reviews",
    ),
    path(
        "v1/clinics/<int:id>/reviews/",
        reviews.ClinicReviewListView.as_view(),
        name="clinic-reviews",
    ),
    re_path(
        rf"^v1/bookings/(?P<reference>{reviews.REFERENCE_PATTERN})/review/$",
        reviews.BookingReviewView.as_view(),
        name="booking-review",
    ),
    path("v1/", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("problems/<slug:code>", problems.problem_type, name="problem-type"),
]
