"""An appointment as an iCalendar (.ics) file, built with the icalendar library."""

from datetime import UTC

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vText

from apps.bookings.models import Booking, BookingStatus


def booking_ics(booking: Booking, *, url: str) -> bytes:
    """One VEVENT in UTC. A cancelled booking exports as STATUS:CANCELLED with the same
    UID, so calendars that imported it before update the entry instead of keeping it."""
    clinic = booking.clinic
    calendar = Calendar()
    calendar.add("prodid", "-//Clinix//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{booking.reference}@clinix")
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("summary", f"{booking.service.name} — {booking.doctor.display_name}")
    event["location"] = vText(f"{clinic.name}, {clinic.address}, {clinic.postcode} {clinic.city}")
    event.add(
        "description",
        _("Booking %(reference)s at %(clinic)s. Phone %(phone)s. %(url)s")
        % {
            "reference": booking.reference,
            "clinic": clinic.name,
            "phone": clinic.phone,
            "url": url,
        },
    )
    event.add("url", url)
    event.add("status", "CANCELLED" if booking.status == BookingStatus.CANCELLED else "CONFIRMED")
    event.add("sequence", int(booking.updated_at.timestamp()))
    calendar.add_component(event)
    return calendar.to_ical()
