"""Booking errors. Messages are shown to patients and staff as they are; tests reuse them."""

from django.utils.translation import gettext_lazy as _

from apps.core.errors import DomainError, FieldDomainError


class BookingError(DomainError):
    code = "booking-error"


class SlotUnavailable(BookingError):
    message = _("This time is no longer available. Please choose another time.")
    code = "slot-unavailable"
    http_status = 409


class BookingBusy(BookingError):
    message = _("Many people are booking with this doctor right now. Please try again in a moment.")
    code = "booking-busy"
    http_status = 503
    retryable = True


class SlotTooSoon(BookingError):
    message = _(
        "This time has passed or starts too soon to book online. Please choose a later time."
    )
    code = "slot-too-soon"
    http_status = 422


class OutsideBookingWindow(BookingError):
    message = _("This time is too far ahead to book yet. Please choose an earlier date.")
    code = "outside-booking-window"
    http_status = 422


class ServiceNotOffered(BookingError):
    message = _("This doctor does not offer this service at this clinic.")
    code = "service-not-offered"
    http_status = 422


class PatientDoubleBooked(BookingError):
    message = _("You already have an appointment at this time.")
    code = "patient-double-booked"
    http_status = 409


class BookingNotCancellable(BookingError):
    message = _("This appointment can no longer be cancelled.")
    code = "booking-not-cancellable"
    http_status = 409


class BookingNotReschedulable(BookingError):
    message = _("This appointment can no longer be moved.")
    code = "booking-not-reschedulable"
    http_status = 409


class RescheduleToOtherDoctor(BookingError):
    message = _("An appointment can only be moved to another time with the same doctor.")
    code = "reschedule-other-doctor"
    http_status = 422


class InvalidTransition(BookingError):
    message = _("This appointment cannot change to that state now.")
    code = "invalid-transition"
    http_status = 409


# --- Waitlist -----------------------------------------------------------------------------------


class WaitlistError(FieldDomainError, BookingError):
    """A waitlist rule said no, about the form field ``field``."""

    code = "waitlist-error"
    http_status = 422


class WaitlistDatesInvalid(WaitlistError):
    message = _("Choose dates from today on, with the last date on or after the first.")
    code = "waitlist-dates-invalid"
    field = "date_to"


class WaitlistRangeTooLong(WaitlistError):
    message = _("Choose a range of at most %(days)s days.")
    code = "waitlist-range-too-long"
    field = "date_to"


class WaitlistServiceNotOffered(WaitlistError):
    message = _("This service is not offered here, or not by this doctor.")
    code = "waitlist-service-not-offered"
    field = "service"


class AlreadyOnWaitlist(WaitlistError):
    message = _("You are already on the waitlist for this service. Leave it first to change it.")
    code = "already-on-waitlist"
    http_status = 409


class WaitlistEntryNotActive(WaitlistError):
    message = _("You are no longer on this waitlist.")
    code = "waitlist-entry-not-active"
    http_status = 409


class OfferNotOpen(WaitlistError):
    message = _("This offer has ended: the time was released to the next person in line.")
    code = "offer-not-open"
    http_status = 409
