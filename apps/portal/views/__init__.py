from apps.portal.views.appointments import (
    appointment_calendar,
    appointment_cancel,
    appointment_detail,
    appointment_list,
    appointment_reschedule,
)
from apps.portal.views.book import book
from apps.portal.views.find import clinic_detail, doctor_detail, home
from apps.portal.views.reviews import clinic_reviews, doctor_reviews, review_write
from apps.portal.views.waitlist import (
    waitlist_join,
    waitlist_leave,
    waitlist_offer,
    waitlist_offer_accept,
    waitlist_offer_decline,
)

__all__ = [
    "appointment_calendar",
    "appointment_cancel",
    "appointment_detail",
    "appointment_list",
    "appointment_reschedule",
    "book",
    "clinic_detail",
    "clinic_reviews",
    "doctor_detail",
    "doctor_reviews",
    "home",
    "review_write",
    "waitlist_join",
    "waitlist_leave",
    "waitlist_offer",
    "waitlist_offer_accept",
    "waitlist_offer_decline",
]
