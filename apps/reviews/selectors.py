"""Reads about reviews: published lists, rating summaries, and who may moderate or reply.

Summaries are computed by the database from the published rows on every read (one
aggregate query over an index); nothing is cached, so they cannot drift from the rows.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Avg, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from apps.accounts.roles import Role
from apps.bookings.models import Booking, BookingStatus
from apps.clinics.selectors import clinic_list_for_staff
from apps.reviews.models import RATING_MAX, RATING_MIN, Review, ReviewSettings, ReviewStatus


@dataclass(frozen=True)
class RatingSummary:
    average: float | None
    count: int
    #: [(stars, how many)] from 5 down to 1.
    distribution: list[tuple[int, int]]

    @property
    def average_rounded(self) -> float | None:
        return None if self.average is None else round(self.average, 1)

    @property
    def bars(self) -> list[tuple[int, int, int]]:
        """(stars, how many, percent of all) for distribution bars."""
        return [
            (s, n, round(100 * n / self.count) if self.count else 0) for s, n in self.distribution
        ]


def rating_summary(*, doctor_id: int | None = None, clinic_id: int | None = None) -> RatingSummary:
    """Average, count and distribution of the published reviews of a doctor or a clinic.

    One query; the same numbers a recomputation over the rows gives, at any moment.
    """
    rows = Review.objects.published()
    if doctor_id is not None:
        rows = rows.filter(doctor_id=doctor_id)
    if clinic_id is not None:
        rows = rows.filter(clinic_id=clinic_id)
    stars = range(RATING_MAX, RATING_MIN - 1, -1)
    found = rows.aggregate(
        average=Avg("rating"),
        count=Count("id"),
        **{f"r{s}": Count("id", filter=Q(rating=s)) for s in stars},
    )
    return RatingSummary(
        average=float(found["average"]) if found["average"] is not None else None,
        count=found["count"],
        distribution=[(s, found[f"r{s}"]) for s in stars],
    )


def review_list_published(*, doctor_id: int | None = None, clinic_id: int | None = None):
    """Published reviews of a doctor or a clinic, newest first, with what a card shows."""
    rows = Review.objects.published().select_related(
        "doctor__user", "clinic", "reply__doctor__user"
    )
    if doctor_id is not None:
        rows = rows.filter(doctor_id=doctor_id)
    if clinic_id is not None:
        rows = rows.filter(clinic_id=clinic_id)
    return rows.order_by("-published_at", "-id")


def with_doctor_rating(doctors: QuerySet) -> QuerySet:
    """Annotate ``rating_average`` and ``rating_count`` on a Doctor queryset.

    Correlated subqueries rather than a join and GROUP BY, so the annotation composes
    with any filter, prefetch or select_related the caller already has.
    """
    published = (
        Review.objects.filter(doctor_id=OuterRef("pk"), status=ReviewStatus.PUBLISHED)
        .order_by()
        .values("doctor_id")
    )
    return doctors.annotate(
        rating_average=Subquery(published.annotate(a=Avg("rating")).values("a")),
        rating_count=Coalesce(
            Subquery(published.annotate(c=Count("id")).values("c"), output_field=IntegerField()),
            Value(0),
        ),
    )


# --- Who may do what ---------------------------------------------------------------------------


def review_window_closes(booking: Booking) -> datetime:
    return booking.ends_at + timedelta(days=settings.REVIEW_WINDOW_DAYS)


def booking_is_reviewable(booking: Booking, *, now: datetime) -> bool:
    """Completed, within the window, not reviewed yet (the service checks it again, locked)."""
    return (
        booking.status == BookingStatus.COMPLETED
        and now <= review_window_closes(booking)
        and not Review.objects.filter(booking_id=booking.pk).exists()
    )


def review_for_booking(booking: Booking) -> Review | None:
    return Review.objects.filter(booking_id=booking.pk).select_related("reply").first()


def requires_manual_approval(clinic_id: int) -> bool:
    return ReviewSettings.objects.filter(
        clinic_id=clinic_id, requires_manual_approval=True
    ).exists()


def managed_clinics(user) -> QuerySet:
    """The clinics whose reviews ``user`` moderates: all for platform admins, else those
    they manage."""
    return clinic_list_for_staff(user, roles=[Role.CLINIC_MANAGER])


def can_moderate(user, review: Review) -> bool:
    """Platform admins, and the managers of the review's clinic."""
    return managed_clinics(user).filter(pk=review.clinic_id).exists()


def can_reply(user, review: Review) -> bool:
    """Only the doctor of the visit (their own user account)."""
    return user.is_authenticated and user.is_active and review.doctor.user_id == user.pk


def review_list_for_staff(user) -> QuerySet:
    """Every review for platform admins; for others the reviews of the clinics they manage
    and the reviews of their own visits as a doctor. Nobody else sees any."""
    rows = Review.objects.select_related("doctor__user", "clinic", "patient", "booking", "reply")
    if not (user.is_authenticated and user.is_active):
        return rows.none()
    if user.is_platform_admin:
        return rows
    return rows.filter(Q(clinic__in=managed_clinics(user)) | Q(doctor__user=user))
