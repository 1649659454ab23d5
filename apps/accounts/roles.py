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


#: What the front desk and the managers look up: the clinic itself, its services, doctors.
_VIEW_CLINIC = [
    *_crud("clinics.clinic", "view"),
    *_crud("clinics.openinghours", "view"),
    *_crud("clinics.closure", "view"),
    *_crud("clinics.serviceoffering", "view"),
    *_crud("doctors.doctor", "view"),
]

#: The visit-day steps on a booking (custom permissions on Booking).
_VISIT_DAY = [
    "bookings.check_in_booking",
    "bookings.mark_no_show_booking",
    "bookings.complete_booking",
]

# Each role holds what its job needs, so the admin index lists only the models it uses.
# Which rows: the clinics of the person's memberships (apps.clinics.admin_scoping), and for
# doctors only their own schedule, appointments and notes (DoctorSelfScopedMixin).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CLINIC_MANAGER: [
        *_VIEW_CLINIC,
        *_crud("clinics.clinic", "change"),
        *_crud("clinics.openinghours", "add", "change", "delete"),
        *_crud("clinics.closure", "add", "change", "delete"),
        *_crud("clinics.serviceoffering", "add", "change", "delete"),
        # The service form picks its category by autocomplete, which needs the view right.
        *_crud("clinics.servicecategory", "view"),
        # Add and remove only: a changed role is a removal and a new membership.
        *_crud("clinics.clinicmembership", "view", "add", "delete"),
        *_crud("doctors.doctor", "change"),
        *_crud("timeslots.doctorschedule", "view", "change"),
        *_crud("timeslots.schedulerule", "view", "add", "change", "delete"),
        *_crud("timeslots.schedulebreak", "view", "add", "change", "delete"),
        *_crud("timeslots.scheduleexception", "view", "add", "change", "delete"),
        *_crud("timeslots.slot", "view", "change"),
        *_crud("bookings.booking", "view", "change"),
        *_VISIT_DAY,
        "bookings.cancel_booking",
        *_crud("bookings.bookingevent", "view"),
        *_crud("payments.payment", "view", "change"),
        *_crud("payments.refund", "view", "change"),
        *_crud("payments.receipt", "view"),
        # Reviews: moderate their clinics' reviews, and whether they need approval first.
        *_crud("reviews.review", "view", "moderate"),
        *_crud("reviews.doctorreply", "view"),
        *_crud("reviews.reviewsettings", "view", "add", "change"),
    ],
    Role.RECEPTIONIST: [
        *_VIEW_CLINIC,
        *_crud("timeslots.doctorschedule", "view"),
        *_crud("timeslots.schedulerule", "view"),
        *_crud("timeslots.schedulebreak", "view"),
        *_crud("timeslots.scheduleexception", "view", "add", "change"),
        *_crud("timeslots.slot", "view", "change"),
        *_crud("bookings.booking", "view", "change"),
        *_VISIT_DAY,
        "bookings.cancel_booking",
        *_crud("bookings.bookingevent", "view"),
        *_crud("payments.payment", "view"),
        *_crud("payments.refund", "view"),
        *_crud("payments.receipt", "view"),
    ],
    # Nurses run the treatment rooms: the visit-day steps and the doctors' notes, but not
    # cancelling (a refund and a message to the patient: the front desk's call).
    Role.NURSE: [
        *_crud("clinics.clinic", "view"),
        *_crud("doctors.doctor", "view"),
        *_crud("timeslots.slot", "view"),
        *_crud("bookings.booking", "view", "change"),
        *_VISIT_DAY,
        *_crud("bookings.bookingevent", "view"),
        *_crud("bookings.visitnote", "view"),
    ],
    # Doctors keep their own week: rules, breaks, leave and extra hours, and read their
    # appointments; the visit-day steps are the front desk's and the nurses'.
    Role.DOCTOR: [
        *_crud("timeslots.doctorschedule", "view", "change"),
        *_crud("timeslots.schedulerule", "view", "add", "change", "delete"),
        *_crud("timeslots.schedulebreak", "view", "add", "change", "delete"),
        *_crud("timeslots.scheduleexception", "view", "add", "change", "delete"),
        *_crud("timeslots.slot", "view"),
        *_crud("bookings.booking", "view"),
        *_crud("bookings.bookingevent", "view"),
        *_crud("bookings.visitnote", "view", "add", "change"),
        # Reviews of their own visits, and the one public reply to each.
        *_crud("reviews.review", "view", "reply"),
        *_crud("reviews.doctorreply", "view"),
    ],
}

#: Roles whose back office is their own work only (schedule, appointments, notes), on top
#: of the clinic scoping.
SELF_SCOPED_ROLES = (Role.DOCTOR,)


def is_self_scoped(user) -> bool:
    """Whether ``user`` sees only their own work (a doctor), on top of the clinic scoping:
    in the back office, the staff pages and the staff API alike."""
    return user.is_authenticated and not user.is_platform_admin and user.role in SELF_SCOPED_ROLES


#: Clinic roles a clinic manager may give and take away at their own clinics. Managers are
#: appointed by platform admins.
MANAGER_ASSIGNABLE_ROLES = (Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST)


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
