"""What each event says, and to whom: patients about their own bookings, clinic staff
about bookings in their clinics and for their doctors. Written in the recipient's language
with the clinic's name and local times."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import patient_preferred_language
from apps.bookings.models import Booking, BookingEvent, WaitlistOffer
from apps.clinics.models import ClinicMembership
from apps.core.templatetags.clinix import clinic_time, money
from apps.outbox.models import OutboxEvent
from apps.payments.models import Refund
from apps.reviews import selectors as review_selectors


@dataclass(frozen=True)
class Message:
    recipient: User
    title: str
    lines: list[str] = field(default_factory=list)
    url: str = ""
    language: str = ""

    @property
    def body(self) -> str:
        return "\n".join(self.lines)


#: Booking steps the patient hears about.
_PATIENT_KINDS = {
    "booking.confirmed",
    "booking.cancelled",
    "booking.rescheduled",
    "booking.expired",
    "booking.payment_failed",
    "booking.reminded",
    "refund.succeeded",
    "waitlist.offer_made",
    "waitlist.offer_expired",
    "booking.completed",  # an invitation to review the visit
}
#: Booking steps the clinic's front desk and the doctor hear about.
_STAFF_KINDS = {"booking.confirmed", "booking.cancelled", "booking.rescheduled"}
#: A change this close to the visit is "short notice" for the staff.
SHORT_NOTICE = timedelta(hours=24)


def messages_for(event: OutboxEvent) -> list[Message]:
    booking_id = event.payload.get("booking")
    if booking_id is None:
        return []
    booking = (
        Booking.objects.select_related("clinic", "doctor__user", "service", "patient")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        return []
    step = None
    if event.payload.get("event"):
        step = BookingEvent.objects.filter(pk=event.payload["event"]).first()
    found = []
    if event.kind == "booking.expired" and WaitlistOffer.objects.filter(booking=booking).exists():
        return []  # a waitlist offer that lapsed: "waitlist.offer_expired" says it
    if event.kind in _PATIENT_KINDS:
        language = patient_preferred_language(user=booking.patient) or settings.LANGUAGE_CODE
        with translation.override(language):
            found.append(_patient_message(event, booking, step, language))
    if event.kind in _STAFF_KINDS and _staff_should_hear(event.kind, booking, step):
        with translation.override(settings.LANGUAGE_CODE):
            for user in staff_for(booking):
                found.append(_staff_message(event, booking, step, user))
    return [m for m in found if m is not None]


def staff_for(booking: Booking) -> list[User]:
    """The clinic's receptionists and managers, and the booking's doctor."""
    members = ClinicMembership.objects.filter(
        clinic_id=booking.clinic_id,
        role__in=[Role.RECEPTIONIST, Role.CLINIC_MANAGER],
        user__is_active=True,
    ).select_related("user")
    people = {m.user_id: m.user for m in members}
    people.setdefault(booking.doctor.user_id, booking.doctor.user)
    return [people[pk] for pk in sorted(people)]


def _staff_should_hear(kind: str, booking: Booking, step: BookingEvent | None) -> bool:
    if kind != "booking.rescheduled":
        return True
    soon = timezone.now() + SHORT_NOTICE
    old = (step.data or {}).get("from_starts_at") if step else None
    return booking.starts_at <= soon or (old is not None and old <= soon.isoformat())


def _when(booking: Booking) -> str:
    return clinic_time(booking.starts_at, booking.clinic)


def _patient_message(event, booking: Booking, step, language: str) -> Message | None:
    if event.kind == "booking.completed":
        return _review_invitation(booking, language)
    clinic, doctor, service = booking.clinic, booking.doctor.display_name, booking.service.name
    where = _("%(clinic)s, %(address)s, %(city)s") % {
        "clinic": clinic.name,
        "address": clinic.address,
        "city": clinic.city,
    }
    url = reverse("portal:appointment-detail", args=[booking.reference])
    what = _("%(service)s with %(doctor)s") % {"service": service, "doctor": doctor}
    reference = _("Booking reference: %(reference)s") % {"reference": booking.reference}
    titles = {
        "booking.confirmed": _("Your appointment on %(when)s is confirmed"),
        "booking.cancelled": _("Your appointment on %(when)s is cancelled"),
        "booking.rescheduled": _("Your appointment moved to %(when)s"),
        "booking.expired": _("Your reserved time on %(when)s was released"),
        "booking.payment_failed": _("Your payment for %(when)s did not go through"),
        "booking.reminded": _("Reminder: your appointment on %(when)s"),
        "refund.succeeded": _("Refund for your appointment on %(when)s"),
        "waitlist.offer_made": _("A time is free for you: %(when)s"),
        "waitlist.offer_expired": _("The time held for you on %(when)s was released"),
    }
    lines = [what, where, reference]
    if event.kind == "booking.expired":
        lines.insert(0, _("It was not paid in time, so nothing was charged."))
    elif event.kind == "booking.payment_failed":
        lines.insert(0, _("Nothing was charged and the time is free again."))
    elif event.kind == "booking.cancelled" and step and step.data.get("by_clinic"):
        lines.insert(0, _("The clinic had to cancel it. We are sorry."))
    elif event.kind == "waitlist.offer_made":
        url = reverse("portal:waitlist-offer", args=[event.payload["offer"]])
        lines.insert(
            0,
            _("It is held for you until %(until)s. Accept it in one click, or let it go.")
            % {"until": clinic_time(booking.hold_expires_at, clinic)},
        )
    elif event.kind == "waitlist.offer_expired":
        url = reverse("portal:appointment-list")
        lines = [_("You stay on the waitlist; we will tell you when another time frees up.")]
    elif event.kind == "refund.succeeded":
        refund = _refund_amount(event)
        if refund:
            lines.insert(0, _("%(amount)s is on its way back to you.") % {"amount": refund})
    title = titles[event.kind] % {"when": _when(booking)}
    return Message(booking.patient, title, lines, url, language)


def _review_invitation(booking: Booking, language: str) -> Message | None:
    """After the visit: ask for a review, unless it is written or the window has closed
    by the time the message goes out."""
    if not review_selectors.booking_is_reviewable(booking, now=timezone.now()):
        return None
    doctor = booking.doctor.display_name
    until = clinic_time(review_selectors.review_window_closes(booking), booking.clinic)
    lines = [
        _("Your review helps other patients choose. It takes a minute."),
        _("%(service)s with %(doctor)s at %(clinic)s, %(when)s")
        % {
            "service": booking.service.name,
            "doctor": doctor,
            "clinic": booking.clinic.name,
            "when": _when(booking),
        },
        _("You can write it until %(until)s.") % {"until": until},
    ]
    title = _("How was your visit with %(doctor)s?") % {"doctor": doctor}
    url = reverse("portal:review-write", args=[booking.reference])
    return Message(booking.patient, title, lines, url, language)


def _staff_message(event, booking: Booking, step, user: User) -> Message:
    patient = booking.patient.get_full_name() or booking.patient.email
    titles = {
        "booking.confirmed": _("New booking: %(patient)s on %(when)s"),
        "booking.cancelled": _("Cancelled: %(patient)s on %(when)s"),
        "booking.rescheduled": _("Moved at short notice: %(patient)s, now %(when)s"),
    }
    lines = [
        _("%(service)s with %(doctor)s at %(clinic)s")
        % {
            "service": booking.service.name,
            "doctor": booking.doctor.display_name,
            "clinic": booking.clinic.name,
        },
        _("Booking reference: %(reference)s") % {"reference": booking.reference},
    ]
    url = reverse("admin:bookings_booking_change", args=[booking.pk])
    title = titles[event.kind] % {"patient": patient, "when": _when(booking)}
    return Message(user, title, lines, url, settings.LANGUAGE_CODE)


def _refund_amount(event) -> str:
    refund = Refund.objects.filter(pk=event.payload.get("refund")).first()
    return money(refund.amount_minor, refund.currency) if refund else ""
