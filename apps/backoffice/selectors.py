"""Reads of the day sheet and the walk-in booking page, scoped to the staff member asking."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Replace

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.bookings import selectors as booking_selectors
from apps.bookings.models import Booking
from apps.bookings.staff_actions import StaffAction, staff_actions_for
from apps.clinics.models import Clinic
from apps.clinics.selectors import clinic_list_for_staff
from apps.doctors.models import Doctor

#: Clinic roles that run the front desk: they see the whole day and change bookings.
DESK_ROLES = (Role.RECEPTIONIST, Role.NURSE, Role.CLINIC_MANAGER)
#: How many patients a search lists at most (ask for more letters to narrow it).
PATIENT_SEARCH_LIMIT = 10
PATIENT_SEARCH_MIN_LENGTH = 3


def staff_clinics(user) -> QuerySet[Clinic]:
    return clinic_list_for_staff(user).order_by("name", "pk")


def desk_clinics(user) -> QuerySet[Clinic]:
    """The clinics where ``user`` changes bookings and books for patients: platform admins
    all, receptionists, nurses and managers theirs. Doctors read their own appointments."""
    return clinic_list_for_staff(user, roles=DESK_ROLES).order_by("name", "pk")


def can_act_at(user, clinic: Clinic) -> bool:
    """Whether ``user`` works the front desk at ``clinic`` (see desk_clinics)."""
    return desk_clinics(user).filter(pk=clinic.pk).exists()


#: The permission each visit-day step needs (custom permissions on Booking, given by role).
ACTION_PERMISSIONS = {
    StaffAction.CHECK_IN: "bookings.check_in_booking",
    StaffAction.NO_SHOW: "bookings.mark_no_show_booking",
    StaffAction.COMPLETE: "bookings.complete_booking",
    StaffAction.CANCEL: "bookings.cancel_booking",
}


def actions_allowed_at(user, clinic: Clinic) -> frozenset[StaffAction]:
    """The steps ``user`` may take on ``clinic``'s bookings: front-desk staff there, each
    step as their role's permissions allow (nurses do not cancel, for example)."""
    if not can_act_at(user, clinic):
        return frozenset()
    return frozenset(a for a, perm in ACTION_PERMISSIONS.items() if user.has_perm(perm))


@dataclass
class SheetRow:
    booking: Booking
    actions: tuple[StaffAction, ...]


@dataclass
class DoctorColumn:
    doctor: Doctor
    rows: list[SheetRow] = field(default_factory=list)


def sheet_row(booking: Booking, *, now: datetime, allowed: frozenset[StaffAction]) -> SheetRow:
    """The booking with the buttons to show: what the services would accept now, of what
    the staff member may do."""
    if not allowed:
        return SheetRow(booking, ())
    return SheetRow(booking, tuple(a for a in staff_actions_for(booking, now) if a in allowed))


def day_sheet_columns(
    user, clinic: Clinic, day: date, *, now: datetime, allowed: frozenset[StaffAction]
) -> list[DoctorColumn]:
    """The day's bookings, one column per doctor in name order, each by time. One query."""
    bookings = booking_selectors.booking_day_sheet(user, clinic, day).select_related("payment")
    return [
        DoctorColumn(
            doctor=rows[0].doctor,
            rows=[sheet_row(b, now=now, allowed=allowed) for b in rows],
        )
        for rows in (list(g) for _id, g in groupby(bookings, key=lambda b: b.doctor_id))
    ]


def day_sheet_booking(user, reference: str) -> Booking | None:
    """One booking for a day-sheet row, or None when it is not in ``user``'s clinics."""
    return (
        booking_selectors.booking_list_for_staff(user)
        .select_related("patient__patient_profile", "payment")
        .filter(reference=reference)
        .first()
    )


# --- Walk-in booking ----------------------------------------------------------------------


def patient_search(text: str) -> QuerySet[User]:
    """Patients whose name, e-mail address or phone number matches ``text``; patients only,
    at most ``PATIENT_SEARCH_LIMIT``. Phone numbers match whatever spaces or dashes people
    typed them with. Too short a text finds nobody (no browsing the patient list)."""
    text = " ".join(text.split())
    if len(text) < PATIENT_SEARCH_MIN_LENGTH:
        return User.objects.none()
    match = Q()
    for term in text.split(" "):
        match &= (
            Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(email__icontains=term)
        )
    digits = re.sub(r"\D", "", text)
    patients = User.objects.filter(role=Role.PATIENT, is_active=True)
    if len(digits) >= 4 and re.fullmatch(r"[+0-9 ()/.-]+", text):
        patients = patients.annotate(phone_digits=_digits_only("patient_profile__phone"))
        match |= Q(phone_digits__contains=digits)
    return (
        patients.filter(match)
        .select_related("patient_profile")
        .order_by("last_name", "first_name", "pk")[:PATIENT_SEARCH_LIMIT]
    )


def _digits_only(field_name: str):
    expression = field_name
    for char in (" ", "-", "/", "(", ")", ".", "+"):
        expression = Replace(expression, Value(char), Value(""))
    return expression


def patient_get(patient_id) -> User | None:
    return (
        User.objects.filter(role=Role.PATIENT, is_active=True, pk=patient_id)
        .select_related("patient_profile")
        .first()
    )


def walk_in_doctors(clinic: Clinic, service_id: int | None) -> QuerySet[Doctor]:
    """Active doctors at ``clinic``; with a service, those who offer it there."""
    doctors = Doctor.objects.active().at_clinic(clinic).select_related("user")
    if service_id is not None:
        doctors = doctors.filter(services=service_id, services__clinic=clinic)
    return doctors.distinct()
