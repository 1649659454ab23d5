"""Every change to reviews: write, approve, hide, unhide, reply.

Each service is one transaction that also writes its audit entry and an outbox event.
Rating summaries are computed from the rows when read (selectors.rating_summary), so no
service maintains a counter: a publish or a hide is a single row update, and the next
read sees it or not, never half of it.
"""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.bookings.models import Booking, BookingStatus
from apps.outbox.services import event_record
from apps.reviews import selectors
from apps.reviews.exceptions import (
    RATING_OUT_OF_RANGE,
    REASON_REQUIRED,
    REPLY_REQUIRED,
    TEXT_TOO_LONG,
    AlreadyReplied,
    AlreadyReviewed,
    BookingNotReviewable,
    ModerationNotAllowed,
    ReplyNotAllowed,
    ReviewInvalid,
    ReviewNotYours,
    ReviewStateConflict,
    ReviewWindowClosed,
)
from apps.reviews.models import (
    COMMENT_MAX_LENGTH,
    HIDDEN_REASON_MAX_LENGTH,
    RATING_MAX,
    RATING_MIN,
    REPLY_MAX_LENGTH,
    DoctorReply,
    Review,
    ReviewStatus,
)
from apps.reviews.moderation import check_text


@transaction.atomic
def review_create(
    *,
    patient,
    booking: Booking,
    rating: int,
    waiting_time: int | None = None,
    manner: int | None = None,
    explanation: int | None = None,
    comment: str = "",
) -> Review:
    """The patient reviews their own completed visit, once, within the review window.

    Locks the booking row (FOR UPDATE) so the status and "not reviewed yet" checks hold
    until commit; the unique booking of a review is the backstop and its violation is
    the same AlreadyReviewed. Raises ReviewInvalid (with the field), ReviewNotYours,
    BookingNotReviewable, ReviewWindowClosed, AlreadyReviewed.
    """
    ratings = {"rating": rating, "waiting_time": waiting_time}
    ratings |= {"manner": manner, "explanation": explanation}
    for name, value in ratings.items():
        _check_rating(name, value, required=name == "rating")
    comment = check_text(comment, field="comment", limit=COMMENT_MAX_LENGTH)
    locked = Booking.objects.select_for_update(of=("self",)).filter(pk=booking.pk).first()
    if locked is None or locked.patient_id != patient.pk:
        raise ReviewNotYours()
    if locked.status != BookingStatus.COMPLETED:
        raise BookingNotReviewable(booking_id=locked.pk)
    now = timezone.now()
    if now > selectors.review_window_closes(locked):
        raise ReviewWindowClosed(ReviewWindowClosed.message % {"days": settings.REVIEW_WINDOW_DAYS})
    if Review.objects.filter(booking_id=locked.pk).exists():
        raise AlreadyReviewed()
    pending = selectors.requires_manual_approval(locked.clinic_id)
    review = Review(
        booking=locked,
        patient_id=locked.patient_id,
        doctor_id=locked.doctor_id,
        clinic_id=locked.clinic_id,
        comment=comment,
        status=ReviewStatus.PENDING if pending else ReviewStatus.PUBLISHED,
        published_at=None if pending else now,
        **ratings,
    )
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as error:
        if Review.objects.filter(booking_id=locked.pk).exists():
            raise AlreadyReviewed() from error
        raise
    audit_record(
        actor=patient,
        action="review.create",
        target=review,
        changes={"status": [None, review.status], "rating": [None, review.rating]},
    )
    _event(review, "submitted" if pending else "published", at=now)
    return review


@transaction.atomic
def review_approve(*, review: Review, actor) -> Review:
    """A manager lets a pending review through: pending → published."""
    return _moderate(
        review, actor, "approve", sources=(ReviewStatus.PENDING,), to=ReviewStatus.PUBLISHED
    )


@transaction.atomic
def review_hide(*, review: Review, actor, reason: str) -> Review:
    """Take a review off the public pages, with the reason (kept with the review and in
    the audit log): pending or published → hidden."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewInvalid(REASON_REQUIRED, field="reason")
    if len(reason) > HIDDEN_REASON_MAX_LENGTH:
        raise ReviewInvalid(
            TEXT_TOO_LONG % {"limit": HIDDEN_REASON_MAX_LENGTH, "length": len(reason)},
            field="reason",
        )
    return _moderate(
        review,
        actor,
        "hide",
        sources=(ReviewStatus.PENDING, ReviewStatus.PUBLISHED),
        to=ReviewStatus.HIDDEN,
        reason=reason,
    )


@transaction.atomic
def review_unhide(*, review: Review, actor) -> Review:
    """Put a hidden review back on the public pages: hidden → published."""
    return _moderate(
        review, actor, "unhide", sources=(ReviewStatus.HIDDEN,), to=ReviewStatus.PUBLISHED
    )


def _moderate(review: Review, actor, action: str, *, sources, to: str, reason="") -> Review:
    """Lock the review row, check the actor and the state, change it, audit it."""
    locked = Review.objects.select_for_update().filter(pk=review.pk).first()
    if locked is None or not selectors.can_moderate(actor, locked):
        raise ModerationNotAllowed()
    if locked.status not in sources:
        raise ReviewStateConflict()
    now = timezone.now()
    previous = locked.status
    locked.status = to
    if to == ReviewStatus.HIDDEN:
        locked.hidden_reason, locked.hidden_by, locked.hidden_at = reason, actor, now
    else:
        locked.hidden_reason, locked.hidden_by, locked.hidden_at = "", None, None
        locked.published_at = locked.published_at or now
    locked.save(update_fields=["status", "hidden_reason", "hidden_by", "hidden_at", "published_at"])
    verb = {ReviewStatus.HIDDEN: "hidden", ReviewStatus.PUBLISHED: "published"}[to]
    changes = {"status": [previous, to]}
    if reason:
        changes["hidden_reason"] = ["", reason]
    audit_record(actor=actor, action=f"review.{action}", target=locked, changes=changes)
    _event(locked, verb, at=now)
    return locked


@transaction.atomic
def doctor_reply_create(*, review: Review, actor, body: str) -> DoctorReply:
    """The visit's doctor answers the review in public, once. Not to a hidden review."""
    body = check_text(body, field="body", limit=REPLY_MAX_LENGTH)
    if not body:
        raise ReviewInvalid(REPLY_REQUIRED, field="body")
    locked = Review.objects.select_for_update().select_related("doctor").get(pk=review.pk)
    if not selectors.can_reply(actor, locked):
        raise ReplyNotAllowed()
    if locked.status == ReviewStatus.HIDDEN:
        raise ReviewStateConflict()
    if DoctorReply.objects.filter(review=locked).exists():
        raise AlreadyReplied()
    try:
        with transaction.atomic():
            reply = DoctorReply.objects.create(review=locked, doctor=locked.doctor, body=body)
    except IntegrityError as error:
        raise AlreadyReplied() from error
    audit_record(
        actor=actor, action="review.reply", target=locked, changes={"reply": [None, reply.pk]}
    )
    _event(locked, "replied", at=reply.created_at)
    return reply


def _check_rating(name: str, value, *, required: bool) -> None:
    if value is None and not required:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not RATING_MIN <= value <= RATING_MAX
    ):
        raise ReviewInvalid(RATING_OUT_OF_RANGE, field=name)


def _event(review: Review, verb: str, *, at: datetime) -> None:
    event_record(
        kind=f"review.{verb}",
        dedupe_key=f"review-{review.pk}-{verb}-{at.isoformat()}",
        payload={"review": review.pk, "doctor": review.doctor_id, "clinic": review.clinic_id},
    )
