"""Roles and what each may do in the back office.

Staff permissions come from one Django group per role; which clinics a staff member
may touch comes from their clinic memberships (queryset scoping in every admin).
Permissions are named by string so this module imports no app to its right.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    DOCTOR = "doctor", _("Doctor")
    NURSE = "nurse", _("Nurse")
    RECEPTIONIST = "receptionist", _("Receptionist")
    CLINIC_MANAGER = "clinic_manager", _("Clinic manager")
    PLATFORM_ADMIN = "platform_admin", _("Platform admin")


#: Roles a person can hold inside a clinic (through a clinic membership).
CLINIC_ROLES = (Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.CLINIC_MANAGER)


def _crud(model: str, *verbs: str) -> list[str]:
    app, name = model.split(".")
    return [f"{app}.{verb}_{name}" for verb in verbs]


_VIEW_CLINIC = [
    *_crud("clinics.clinic", "view"),
    *_crud("clinics.openinghours", "view"),
    *_crud("clinics.closure", "view"),
    *_crud("clinics.serviceoffering", "view"),
    *_crud("clinics.servicecategory", "view"),
    *_crud("doctors.doctor", "view"),
    *_crud("doctors.specialty", "view"),
    *_crud("doctors.spokenlanguage", "view"),
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CLINIC_MANAGER: [
        *_VIEW_CLINIC,
        *_crud("clinics.clinic", "change"),
        *_crud("clinics.openinghours", "add", "change", "delete"),
        *_crud("clinics.closure", "add", "change", "delete"),
        *_crud("clinics.serviceoffering", "add", "change", "delete"),
        *_crud("clinics.clinicmembership", "view"),
        *_crud("doctors.doctor", "change"),
        *_crud("timeslots.doctorschedule", "view", "change"),
        *_crud("timeslots.schedulerule", "view", "add", "change", "delete"),
        *_crud("timeslots.schedulebreak", "view", "add", "change", "delete"),
        *_crud("timeslots.scheduleexception", "view", "add", "change", "delete"),
        *_crud("timeslots.slot", "view", "change"),
        *_crud("bookings.booking", "view", "change"),
        *_crud("bookings.bookingevent", "view"),
        *_crud("payments.payment", "view", "change"),
        *_crud("payments.refund", "view", "change"),
        *_crud("payments.receipt", "view"),
    ],
    Role.RECEPTIONIST: [
        *_VIEW_CLINIC,
        *_crud("timeslots.doctorschedule", "view"),
        *_crud("timeslots.schedulerule", "view"),
        *_crud("timeslots.schedulebreak", "view"),
        *_crud("timeslots.scheduleexception", "view", "add", "change"),
        *_crud("timeslots.slot", "view", "change"),
        *_crud("bookings.booking", "view", "change"),
        *_crud("bookings.bookingevent", "view"),
        *_crud("payments.payment", "view"),
        *_crud("payments.refund", "view"),
        *_crud("payments.receipt", "view"),
    ],
    Role.NURSE: [
        *_VIEW_CLINIC,
        *_crud("timeslots.slot", "view"),
        *_crud("bookings.booking", "view", "change"),
        *_crud("bookings.bookingevent", "view"),
    ],
    Role.DOCTOR: [
        *_VIEW_CLINIC,
        *_crud("timeslots.doctorschedule", "view"),
        *_crud("timeslots.schedulerule", "view"),
        *_crud("timeslots.schedulebreak", "view"),
        *_crud("timeslots.scheduleexception", "view"),
        *_crud("timeslots.slot", "view"),
        *_crud("bookings.booking", "view"),
        *_crud("bookings.bookingevent", "view"),
    ],
}


# Group names are data, not interface text: fixed English, never translated (a translated
# label would name a different, empty group when another language is active).
_GROUP_NAMES = {
    Role.DOCTOR: "Role: Doctor",
    Role.NURSE: "Role: Nurse",
    Role.RECEPTIONIST: "Role: Receptionist",
    Role.CLINIC_MANAGER: "Role: Clinic manager",
}


def group_name(role: str) -> str:
    return _GROUP_NAMES[Role(role)]
