"""Review errors. Messages are shown to patients and staff as they are; tests reuse them."""

from django.utils.translation import gettext_lazy as _

from apps.core.errors import DomainError, FieldDomainError


class ReviewError(DomainError):
    code = "review-error"


class ReviewInvalid(FieldDomainError, ReviewError):
    """A moderation rule on the input said no. ``field`` names the field it is about."""

    message = _("Check the review and try again.")
    code = "review-invalid"
    http_status = 400
    field = "__all__"


RATING_OUT_OF_RANGE = _("Choose from 1 to 5 stars.")
TEXT_TOO_LONG = _("Write at most %(limit)s characters (you wrote %(length)s).")
BANNED_WORDS = _("Please rephrase without the word “%(word)s”.")
REASON_REQUIRED = _("Say why the review is hidden; the reason is kept in the audit log.")
REPLY_REQUIRED = _("Write your reply.")


class ReviewNotYours(ReviewError):
    message = _("You can only review your own appointments.")
    code = "review-not-yours"
    http_status = 404


class BookingNotReviewable(ReviewError):
    message = _("You can review an appointment once the visit has taken place.")
    code = "booking-not-completed"
    http_status = 409


class ReviewWindowClosed(ReviewError):
    message = _("Reviews can be written up to %(days)s days after the visit; this one is older.")
    code = "review-window-closed"
    http_status = 409


class AlreadyReviewed(ReviewError):
    message = _("You have already reviewed this appointment.")
    code = "already-reviewed"
    http_status = 409


class ModerationNotAllowed(ReviewError):
    message = _("Only the clinic's managers and platform admins can moderate its reviews.")
    code = "moderation-not-allowed"
    http_status = 403


class ReviewStateConflict(ReviewError):
    message = _("This review is no longer in a state where that is possible.")
    code = "review-state-conflict"
    http_status = 409


class ReplyNotAllowed(ReviewError):
    message = _("Only the doctor of the visit can reply to its review.")
    code = "reply-not-allowed"
    http_status = 403


class AlreadyReplied(ReviewError):
    message = _("This review already has your reply.")
    code = "already-replied"
    http_status = 409
