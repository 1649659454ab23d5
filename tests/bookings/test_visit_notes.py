"""Visit notes: the booking's own doctor writes them, the clinic's nurses read them, and
nobody else (reception, managers, platform admins, patients, other clinics) sees a word."""

import pytest
from django.urls import reverse

from apps.accounts.roles import Role
from apps.accounts.services import user_set_role
from apps.audit.models import AuditEntry
from apps.bookings import visit_notes
from apps.bookings.models import Booking, BookingStatus, VisitNote
from apps.bookings.visit_notes import (
    VisitNoteEmpty,
    VisitNoteNotAllowed,
    VisitNoteTooEarly,
    VisitNoteTooLong,
    visit_note_save,
)
from tests.bookings.factories import BookingFactory
from tests.clinics.admin_helpers import (
    admin_url,
    assert_redirected_as_missing,
    change_url,
    changelist_url,
    form_errors,
    listed_pks,
)
from tests.clinics.factories import ClinicMembershipFactory
from tests.conftest import _staff
from tests.doctors.factories import DoctorFactory
from tests.portal.conftest import verify
from tests.timeslots.factories import SlotFactory

SECRET = "Suspected appendicitis, referred to surgery"


@pytest.fixture
def seen_booking(world, patient):
    return BookingFactory(
        slot=world.slots[0], service=world.service, patient=patient, status="checked_in"
    )


@pytest.fixture
def note(seen_booking, doctor_user):
    return visit_note_save(booking=seen_booking, author=doctor_user, text=SECRET)


@pytest.fixture
def colleague(world):
    """Another doctor at the same clinic, signed up for the back office."""
    doctor = DoctorFactory(services=[world.service])
    user_set_role(user=doctor.user, role=Role.DOCTOR)
    ClinicMembershipFactory(user=doctor.user, clinic=world.clinic, role=Role.DOCTOR)
    return doctor


# --- The service ------------------------------------------------------------------------------


def test_visit_note_save_writes_the_note_and_audits_a_fingerprint_not_the_words(
    seen_booking, doctor_user
):
    note = visit_note_save(booking=seen_booking, author=doctor_user, text=f"  {SECRET}\n")

    assert note.text == SECRET
    assert note.author == doctor_user
    entry = AuditEntry.objects.for_target(note).get()
    assert entry.action == "visit_note.create"
    assert entry.actor == doctor_user
    assert entry.changes["text"] == [None, visit_notes.fingerprint(SECRET)]
    assert SECRET not in str(entry.changes)


def test_visit_note_save_of_a_new_text_audits_before_and_after(note, doctor_user):
    visit_note_save(booking=note.booking, author=doctor_user, text="Appendix fine", note=note)

    entry = AuditEntry.objects.for_target(note).get(action="visit_note.update")
    assert entry.changes["text"] == [
        visit_notes.fingerprint(SECRET),
        visit_notes.fingerprint("Appendix fine"),
    ]
    assert VisitNote.objects.get(pk=note.pk).text == "Appendix fine"


def test_visit_note_save_of_the_same_text_records_nothing(note, doctor_user):
    visit_note_save(booking=note.booking, author=doctor_user, text=SECRET, note=note)
    assert not AuditEntry.objects.filter(action="visit_note.update").exists()


@pytest.mark.parametrize(
    "status", [BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.HELD]
)
def test_visit_note_save_before_the_visit_is_refused(world, doctor_user, status):
    booking = BookingFactory(
        slot=world.slots[1],
        service=world.service,
        status=status,
        hold_expires_at=world.slots[1].starts_at,
    )
    with pytest.raises(VisitNoteTooEarly):
        visit_note_save(booking=booking, author=doctor_user, text=SECRET)
    assert not VisitNote.objects.exists()


@pytest.mark.parametrize("status", [BookingStatus.COMPLETED, BookingStatus.NO_SHOW])
def test_visit_note_save_after_the_visit_is_allowed(world, doctor_user, status):
    booking = BookingFactory(slot=world.slots[1], service=world.service, status=status)
    assert visit_note_save(booking=booking, author=doctor_user, text=SECRET).pk


def test_visit_note_save_by_another_doctor_of_the_clinic_is_refused(seen_booking, colleague):
    with pytest.raises(VisitNoteNotAllowed):
        visit_note_save(booking=seen_booking, author=colleague.user, text=SECRET)
    assert not VisitNote.objects.exists()


def test_visit_note_save_by_staff_who_are_not_the_doctor_is_refused(
    seen_booking, nurse, platform_admin
):
    for person in (nurse, platform_admin):
        with pytest.raises(VisitNoteNotAllowed):
            visit_note_save(booking=seen_booking, author=person, text=SECRET)


def test_visit_note_save_of_someone_elses_note_is_refused(note, colleague):
    with pytest.raises(VisitNoteNotAllowed):
        visit_note_save(booking=note.booking, author=colleague.user, text="Mine now", note=note)
    assert VisitNote.objects.get(pk=note.pk).text == SECRET


@pytest.mark.parametrize(
    ("text", "error"), [("   ", VisitNoteEmpty), ("x" * 10001, VisitNoteTooLong)]
)
def test_visit_note_save_with_bad_text_is_refused(seen_booking, doctor_user, text, error):
    with pytest.raises(error):
        visit_note_save(booking=seen_booking, author=doctor_user, text=text)
    assert not VisitNote.objects.exists()


# --- Who reads --------------------------------------------------------------------------------


def test_the_circle_that_reads_notes_is_the_bookings_doctor_and_the_clinics_nurses(
    note, doctor_user, nurse, receptionist, clinic_manager, platform_admin, colleague, patient
):
    readers = {
        person.email
        for person in (
            doctor_user,
            nurse,
            receptionist,
            clinic_manager,
            platform_admin,
            colleague.user,
            patient,
        )
        if visit_notes.visit_note_list_for(person).filter(pk=note.pk).exists()
    }
    assert readers == {doctor_user.email, nurse.email}


def test_a_nurse_of_another_clinic_reads_nothing(note, other_world):
    outsider = _staff("nurse", other_world.clinic, "nurse.elsewhere@example.test")
    assert not visit_notes.visit_note_list_for(outsider).exists()


# --- In the admin -----------------------------------------------------------------------------


def test_doctor_writes_a_note_from_the_booking_page(client, doctor_user, seen_booking):
    client.force_login(doctor_user)
    page = client.get(change_url(seen_booking)).content.decode()
    add = f"{admin_url(VisitNote, 'add')}?booking={seen_booking.pk}"
    assert add.replace("&", "&amp;") in page or add in page

    form = client.get(add)
    response = client.post(add, {"booking": seen_booking.pk, "text": SECRET})

    assert form.status_code == 200
    assert response.status_code == 302
    saved = VisitNote.objects.get()
    assert (saved.booking, saved.author, saved.text) == (seen_booking, doctor_user, SECRET)
    assert AuditEntry.objects.filter(action="visit_note.create", actor=doctor_user).count() == 1
    assert SECRET in client.get(change_url(seen_booking)).content.decode()


def test_doctor_add_page_offers_only_own_bookings_ready_for_a_note(
    client, doctor_user, seen_booking, world, colleague
):
    upcoming = BookingFactory(slot=world.slots[1], service=world.service)
    colleagues = BookingFactory(
        slot=SlotFactory(doctor=colleague, clinic=world.clinic),
        service=world.service,
        status="checked_in",
    )
    client.force_login(doctor_user)

    form = client.get(admin_url(VisitNote, "add")).context["adminform"].form
    posted = client.post(admin_url(VisitNote, "add"), {"booking": colleagues.pk, "text": "x"})

    assert set(form.fields["booking"].queryset) == {seen_booking}
    assert upcoming not in form.fields["booking"].queryset
    assert "booking" in form_errors(posted)
    assert not VisitNote.objects.exists()


def test_doctor_edits_own_note_and_the_change_is_audited(client, doctor_user, note):
    client.force_login(doctor_user)

    response = client.post(change_url(note), {"text": "Revised: gastritis"})

    assert response.status_code == 302
    assert VisitNote.objects.get(pk=note.pk).text == "Revised: gastritis"
    assert AuditEntry.objects.for_target(note).filter(action="visit_note.update").count() == 1


def test_colleague_doctor_cannot_find_the_note(client, colleague, note):
    client.force_login(colleague.user)

    assert listed_pks(client.get(changelist_url(VisitNote))) == set()
    assert_redirected_as_missing(client.get(change_url(note)))
    client.post(change_url(note), {"text": "Taken over"})
    assert VisitNote.objects.get(pk=note.pk).text == SECRET


def test_nurse_reads_the_note_but_cannot_change_it(client, nurse, note):
    client.force_login(nurse)

    listed = listed_pks(client.get(changelist_url(VisitNote)))
    page = client.get(change_url(note))
    post = client.post(change_url(note), {"text": "Taken over"})
    booking_page = client.get(change_url(note.booking)).content.decode()

    assert listed == {note.pk}
    assert page.status_code == 200
    assert post.status_code == 403
    assert SECRET in booking_page
    assert "Write a visit note" not in booking_page
    assert VisitNote.objects.get(pk=note.pk).text == SECRET


@pytest.mark.parametrize("persona", ["receptionist", "clinic_manager", "platform_admin"])
def test_staff_outside_the_circle_never_see_a_note(client, request, persona, note):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(changelist_url(VisitNote)).status_code == 403
    assert client.get(change_url(note)).status_code == 403
    booking_page = client.get(change_url(note.booking))
    assert booking_page.status_code == 200
    assert SECRET not in booking_page.content.decode()
    assert "Visit notes" not in booking_page.content.decode()


@pytest.mark.parametrize("persona", ["doctor_user", "nurse", "platform_admin"])
def test_nobody_deletes_a_note(client, request, persona, note):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(admin_url(VisitNote, "delete", note.pk), {"post": "yes"})
    assert response.status_code == 403
    assert VisitNote.objects.filter(pk=note.pk).exists()


def test_the_patient_never_sees_the_note(client, note, patient):
    client.force_login(verify(patient))

    page = client.get(reverse("portal:appointment-detail", args=[note.booking.reference]))
    admin_page = client.get(changelist_url(VisitNote))

    assert page.status_code == 200
    assert SECRET not in page.content.decode()
    assert admin_page.status_code == 302  # not staff: sent to the sign-in page
    assert Booking.objects.get(pk=note.booking.pk).patient == patient


def test_the_visit_note_list_does_not_query_per_row(
    client, doctor_user, world, django_assert_max_num_queries
):
    world.add_slots(6)
    for slot in world.slots[:8]:
        booking = BookingFactory(slot=slot, service=world.service, status="completed")
        visit_note_save(booking=booking, author=doctor_user, text=SECRET)
    client.force_login(doctor_user)

    # Session, user, two permission reads, two counts, the page, and the staff navigation's
    # few constant reads; a query per note (booking, patient, doctor) would add 8 to 24.
    with django_assert_max_num_queries(12):
        response = client.get(changelist_url(VisitNote))

    assert len(listed_pks(response)) == 8
