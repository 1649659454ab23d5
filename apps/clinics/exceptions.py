"""Clinic errors. Messages are shown to staff as they are; tests reuse them."""

from django.utils.translation import gettext_lazy as _

from apps.core.errors import DomainError


class MembershipError(DomainError):
    """A membership rule said no. ``field`` names the form field the message belongs to."""

    code = "membership-error"
    http_status = 422
    field: str | None = None

    def __init__(self, message: str | None = None, *, field: str | None = None, **context):
        super().__init__(message, **context)
        if field is not None:
            self.field = field


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
