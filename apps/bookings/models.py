import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.bookings.pricing import PriceBreakdown
from apps.clinics.models import Clinic, ServiceOffering
from apps.core.money import CURRENCY_CHOICES, Money
from apps.doctors.models import Doctor
from apps.timeslots.models import Slot


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    HELD = "held", _("Awaiting payment")
    CONFIRMED = "confirmed", _("Confirmed")
    CHECKED_IN = "checked_in", _("Checked in")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")


#: Statuses in which a booking occupies the doctor's time (and its slot). Finished visits
#: keep occupying it, so history can never show two visits at once.
OCCUPYING_STATUSES = (
    BookingStatus.REQUESTED,
    BookingStatus.HELD,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
)
#: Statuses a patient or the clinic can still cancel or move.
UPCOMING_STATUSES = (BookingStatus.REQUESTED, BookingStatus.HELD, BookingStatus.CONFIRMED)

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


def new_reference() -> str:
    """A short code people can read out: 'K7MQ-9XAT' (32^8, about 10^12 values)."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


class BookingQuerySet(models.QuerySet):
    def occupying(self) -> "BookingQuerySet":
        return self.filter(status__in=OCCUPYING_STATUSES)

    def upcoming(self, now: datetime) -> "BookingQuerySet":
        return self.filter(status__in=UPCOMING_STATUSES, starts_at__gt=now)

    def blocking_between(self, starts_at: datetime, ends_at: datetime) -> "BookingQuerySet":
        """Bookings whose blocked time (buffers included) meets [starts_at, ends_at)."""
        return self.filter(blocked_from__lt=ends_at, blocked_until__gt=starts_at)


class Booking(models.Model):
    """A patient's appointment: one service with one doctor at one clinic and time.

    The database guarantees exclusivity: a partial unique constraint allows one occupying
    booking per slot, and on PostgreSQL exclusion constraints (migration 0002) forbid
    overlapping occupying bookings for one doctor (buffers included) or one patient.
    """

    clinic_scope_path = "clinic"

    reference = models.CharField(max_length=9, unique=True, default=new_reference, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="bookings")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="bookings")
    service = models.ForeignKey(ServiceOffering, on_delete=models.PROTECT, related_name="bookings")
    # The booking keeps its own times; the slot may later be removed from the schedule.
    slot = models.ForeignKey(
        Slot, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    blocked_from = models.DateTimeField(help_text="Start minus the service's buffer before.")
    blocked_until = models.DateTimeField(help_text="End plus the service's buffer after.")
    status = models.CharField(max_length=16, choices=BookingStatus.choices, db_index=True)

    # Price snapshot at booking time, in minor units of ``currency``.
    price_base_minor = models.PositiveIntegerField()
    price_discount_minor = models.PositiveIntegerField(
        default=0, help_text="The discount rule's reduction (birthday, high price)."
    )
    price_promo_minor = models.PositiveIntegerField(
        default=0, help_text="A promo code's reduction."
    )
    price_total_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)

    patient_notes = models.TextField(blank=True, max_length=1000)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who made the booking, when not the patient (reception, phone).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(status__in=OCCUPYING_STATUSES),
                name="booking_one_active_per_slot",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(blocked_from__lte=F("starts_at"), blocked_until__gte=F("ends_at")),
                name="booking_blocked_covers_visit",
            ),
            models.CheckConstraint(
                condition=Q(price_total_minor__lte=F("price_base_minor")),
                name="booking_total_le_base",
            ),
            models.CheckConstraint(
                condition=Q(
                    price_total_minor=F("price_base_minor")
                    - F("price_discount_minor")
                    - F("price_promo_minor")
                ),
                name="booking_total_is_base_less_reductions",
            ),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(hold_expires_at__isnull=False),
                name="booking_held_has_expiry",
            ),
        ]
        # The visit-day steps and cancelling on the clinic's behalf are permissions of their
        # own (apps.accounts.roles says which role holds which), not all ``change_booking``.
        permissions = [
            ("check_in_booking", "Can check a patient in"),
            ("mark_no_show_booking", "Can mark a booking as a no-show"),
            ("complete_booking", "Can mark a visit completed"),
            ("cancel_booking", "Can cancel a booking on the clinic's behalf"),
        ]
        indexes = [
            models.Index(fields=["doctor", "starts_at"], name="booking_doctor_start_idx"),
            models.Index(fields=["patient", "starts_at"], name="booking_patient_start_idx"),
            models.Index(fields=["clinic", "starts_at"], name="booking_clinic_start_idx"),
            # "Does an occupying booking of this doctor meet this time?" (availability,
            # the validation chain): ordered by end, since a doctor's occupying bookings
            # never overlap, the first one ending after a start is the only candidate.
            models.Index(
                fields=["doctor", "blocked_until"],
                include=["blocked_from"],
                condition=Q(status__in=OCCUPYING_STATUSES),
                name="booking_occupying_doctor_idx",
            ),
            models.Index(
                fields=["hold_expires_at"],
                condition=Q(status="held"),
                name="booking_held_expiry_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_status_display()}"

    @property
    def price_total(self) -> Money:
        return Money(self.price_total_minor, self.currency)

    @property
    def price(self) -> PriceBreakdown:
        return PriceBreakdown(
            base=self.price_base, discount=self.price_discount, promo=self.price_promo
        )

    @property
    def price_base(self) -> Money:
        return Money(self.price_base_minor, self.currency)

    @property
    def price_discount(self) -> Money:
        return Money(self.price_discount_minor, self.currency)

    @property
    def price_promo(self) -> Money:
        return Money(self.price_promo_minor, self.currency)

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(self.clinic.tz)

    @property
    def is_upcoming_status(self) -> bool:
        return self.status in UPCOMING_STATUSES


class EventKind(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    PRICED = "priced", _("Priced")
    HELD = "held", _("Held for payment")
    PAID = "paid", _("Paid")
    CONFIRMED = "confirmed", _("Confirmed")
    REMINDED = "reminded", _("Reminder sent")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")
    EXPIRED = "expired", _("Hold expired")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    CHECKED_IN = "checked_in", _("Checked in")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    OFFERED = "offered", _("Held for you from the waitlist")


class BookingEvent(models.Model):
    """One step of a booking's timeline, written in the same transaction as the step."""

    clinic_scope_path = "booking__clinic"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["booking", "at"], name="bookingevent_booking_at_idx")]

    def __str__(self) -> str:
        return f"{self.booking.reference} {self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


# --- Waitlist -----------------------------------------------------------------------------------


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Time offered")
    BOOKED = "booked", _("Booked")
    EXPIRED = "expired", _("Ended")
    LEFT = "left", _("Left")


#: Statuses of an entry still in the queue (one per patient, service and doctor).
ACTIVE_WAITLIST_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


class WaitlistEntry(models.Model):
    """A patient waiting for a time: one service at one clinic, with one doctor or any
    doctor offering it there (``doctor`` null), on a day in [date_from, date_to] (clinic
    dates). The queue is first come, first served: ``created_at``, then ``id``."""

    clinic_scope_path = "clinic"

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="waitlist_entries")
    service = models.ForeignKey(
        ServiceOffering, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    doctor = models.ForeignKey(
        Doctor,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        help_text="Empty: any doctor offering the service at the clinic.",
    )
    date_from = models.DateField()
    date_to = models.DateField()
    status = models.CharField(
        max_length=8, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "service", "doctor"],
                condition=Q(status__in=ACTIVE_WAITLIST_STATUSES),
                nulls_distinct=False,
                name="waitlist_one_active_entry",
            ),
            models.CheckConstraint(
                condition=Q(date_to__gte=F("date_from")), name="waitlist_range_ordered"
            ),
        ]
        indexes = [
            models.Index(
                fields=["clinic", "created_at", "id"],
                condition=Q(status="waiting"),
                name="waitlist_queue_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} {self.service_id} {self.date_from}..{self.date_to} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_WAITLIST_STATUSES


class OfferStatus(models.TextChoices):
    OPEN = "open", _("Waiting for your answer")
    ACCEPTED = "accepted", _("Accepted")
    LAPSED = "lapsed", _("Time ran out")
    DECLINED = "declined", _("Declined")


class WaitlistOffer(models.Model):
    """A freed time held for the first entry in line until ``expires_at``.

    The hold is a Booking in status HELD: the booking constraints make "one slot, one
    holder" a database fact, and the hold expiry job lapses an offer nobody answered.
    The partial unique constraints give an entry, and a slot, one open offer at a time.
    """

    clinic_scope_path = "entry__clinic"

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="waitlist_offer")
    slot = models.ForeignKey(
        Slot, on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_offers"
    )
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"], condition=Q(status="open"), name="waitlist_one_open_offer"
            ),
            models.UniqueConstraint(
                fields=["slot"], condition=Q(status="open"), name="waitlist_one_offer_per_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"offer {self.pk} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status == OfferStatus.OPEN


# --- Visit notes --------------------------------------------------------------------------------

#: Statuses in which the visit happened (or was due and missed): only then is there
#: anything clinical to write down.
NOTE_STATUSES = (BookingStatus.CHECKED_IN, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


class VisitNote(models.Model):
    """What the doctor wrote about a visit. Clinical information: shown to the booking's
    doctor and the nurses of its clinic only (apps.bookings.visit_notes), never to the
    patient, reception, managers or platform admins; written through ``visit_note_save``."""

    clinic_scope_path = "booking__clinic"

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="visit_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visit_notes"
    )
    text = models.TextField(max_length=10000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["booking", "created_at"], name="visitnote_booking_idx")]

    def __str__(self) -> str:
        return f"Visit note {self.pk} on {self.booking.reference}"
