"""Visit notes: what a doctor writes about an appointment.

Clinical information, so the circle is small and fixed here, in one place:

- the booking's own doctor reads and writes the notes of their appointments, once the
  patient is checked in, seen or a no-show (``NOTE_STATUSES``);
- nurses read the notes of their clinics' appointments;
- nobody else: not reception, not managers, not platform admins (they run the business,
  not the care), and never the patient through the app. The audit log, which platform
  admins read, records the note's length and fingerprint, not its words.

Notes are never deleted in the back office: a correction is a new version of the text,
and the audit log keeps the fingerprint of each version.
"""

import hashlib

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from apps.accounts.roles import Role
from apps.audit.services import audit_record
from apps.bookings.exceptions import BookingError
from apps.bookings.models import NOTE_STATUSES, Booking, VisitNote
from apps.clinics.selectors import scope_to_clinics

MAX_NOTE_LENGTH = VisitNote._meta.get_field("text").max_length


class VisitNoteError(BookingError):
    code = "visit-note-error"
    http_status = 422


class VisitNoteNotAllowed(VisitNoteError):
    message = _("Only the appointment's own doctor can write its visit notes.")
    code = "visit-note-not-allowed"
    http_status = 403


class VisitNoteTooEarly(VisitNoteError):
    message = _(
        "Visit notes can be written once the patient is checked in, seen, or marked as a no-show."
    )
    code = "visit-note-too-early"
    http_status = 409


class VisitNoteEmpty(VisitNoteError):
    message = _("Write the note before saving it.")
    code = "visit-note-empty"


class VisitNoteTooLong(VisitNoteError):
    message = _("A visit note can be at most %(limit)s characters long.")
    code = "visit-note-too-long"


def _is_doctor(user) -> bool:
    return user.is_active and user.role == Role.DOCTOR and not user.is_platform_admin


def can_read_visit_notes(user) -> bool:
    """Whether ``user`` is in the circle at all (which notes: ``visit_note_list_for``)."""
    if not (user.is_authenticated and user.is_active) or user.is_platform_admin:
        return False
    return user.role in (Role.DOCTOR, Role.NURSE) and user.has_perm("bookings.view_visitnote")


def visit_note_list_for(user) -> QuerySet[VisitNote]:
    """The notes ``user`` may read: their own appointments' (doctors), their clinics' (nurses)."""
    notes = VisitNote.objects.select_related("booking__clinic", "author")
    if not can_read_visit_notes(user):
        return notes.none()
    if user.role == Role.DOCTOR:
        return notes.filter(booking__doctor__user=user)
    return scope_to_clinics(notes, user)


def booking_list_open_for_notes(user) -> QuerySet[Booking]:
    """The appointments ``user`` may write a note on now: their own, in NOTE_STATUSES."""
    if not (_is_doctor(user) and user.has_perm("bookings.add_visitnote")):
        return Booking.objects.none()
    return Booking.objects.filter(doctor__user=user, status__in=NOTE_STATUSES)


def can_write_visit_note(user, booking: Booking) -> bool:
    return _is_doctor(user) and booking.doctor.user_id == user.pk


def fingerprint(text: str) -> dict:
    """What the audit log keeps of a note: enough to prove which text was saved, and when
    it changed, without copying clinical words into a log platform admins read."""
    return {"length": len(text), "sha256": hashlib.sha256(text.encode()).hexdigest()[:16]}


@transaction.atomic
def visit_note_save(
    *, booking: Booking, author, text: str, note: VisitNote | None = None
) -> VisitNote:
    """Write a new note on ``booking``, or a new text for ``note`` (its author only).

    Lock: the booking row (its status decides whether a note may be written, and stays put
    while the note is saved). Raises VisitNoteNotAllowed (not the booking's doctor, or not
    the note's author), VisitNoteTooEarly, VisitNoteEmpty or VisitNoteTooLong.
    """
    text = text.strip()
    if not text:
        raise VisitNoteEmpty()
    if len(text) > MAX_NOTE_LENGTH:
        raise VisitNoteTooLong(VisitNoteTooLong.message % {"limit": MAX_NOTE_LENGTH})
    locked = (
        Booking.objects.select_for_update(of=("self",)).select_related("doctor").get(pk=booking.pk)
    )
    if not can_write_visit_note(author, locked):
        raise VisitNoteNotAllowed()
    if locked.status not in NOTE_STATUSES:
        raise VisitNoteTooEarly()
    if note is None:
        note = VisitNote.objects.create(booking=locked, author=author, text=text)
        audit_record(
            actor=author,
            action="visit_note.create",
            target=note,
            changes={"booking": [None, locked.reference], "text": [None, fingerprint(text)]},
        )
        return note
    stored = VisitNote.objects.select_for_update().get(pk=note.pk)
    if stored.booking_id != locked.pk or stored.author_id != author.pk:
        raise VisitNoteNotAllowed()
    if stored.text == text:
        return stored
    before = fingerprint(stored.text)
    stored.text = text
    stored.save(update_fields=["text", "updated_at"])
    audit_record(
        actor=author,
        action="visit_note.update",
        target=stored,
        changes={"text": [before, fingerprint(text)]},
    )
    return stored
