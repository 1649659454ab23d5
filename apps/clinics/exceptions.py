"""Clinic errors. Messages are shown to staff as they are; tests reuse them."""

from django.utils.translation import gettext_lazy as _

from apps.core.errors import FieldDomainError


class MembershipError(FieldDomainError):
    """A membership rule said no, about the form field ``field``."""

    code = "membership-error"
    http_status = 422


class MembershipNotAllowed(MembershipError):
    message = _("You cannot give or take away this role at this clinic.")
    code = "membership-not-allowed"
    http_status = 403
    field = "role"


class MembershipRoleConflict(MembershipError):
    message = _(
        "This person already works in the back office with another role. A person holds one "
        "role: ask a platform admin to change it."
    )
    code = "membership-role-conflict"
    field = "user"


class MembershipNeedsDoctorProfile(MembershipError):
    message = _("This person has no doctor profile yet: ask a platform admin to create one.")
    code = "membership-needs-doctor-profile"
    field = "role"


class MembershipExists(MembershipError):
    message = _("This person already has this role at this clinic.")
    code = "membership-exists"
    field = "user"
