"""Verified reviews: one per completed appointment, written by its patient.

Ratings are never stored as running totals: averages, counts and the distribution are
computed by the database from the published rows when asked (see docs/reviews.md), so
no concurrent write or moderation change can leave them out of step.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.bookings.models import Booking
from apps.clinics.models import Clinic
from apps.doctors.models import Doctor

RATING_MIN, RATING_MAX = 1, 5
COMMENT_MAX_LENGTH = 2000
REPLY_MAX_LENGTH = 2000
HIDDEN_REASON_MAX_LENGTH = 300
#: The optional sub-ratings, in the order forms show them.
SUB_RATINGS = ("waiting_time", "manner", "explanation")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    PUBLISHED = "published", _("Published")
    HIDDEN = "hidden", _("Hidden")


def _in_range(field: str, *, nullable: bool) -> Q:
    valid = Q(**{f"{field}__gte": RATING_MIN, f"{field}__lte": RATING_MAX})
    return valid | Q(**{f"{field}__isnull": True}) if nullable else valid


class ReviewQuerySet(models.QuerySet):
    def published(self) -> "ReviewQuerySet":
        return self.filter(status=ReviewStatus.PUBLISHED)


class Review(models.Model):
    clinic_scope_path = "clinic"

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="review")
    # Copied from the booking so listings and aggregates need no join through bookings.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="reviews")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="reviews")
    rating = models.PositiveSmallIntegerField(help_text="The visit overall, 1 to 5 stars.")
    waiting_time = models.PositiveSmallIntegerField(null=True, blank=True)
    manner = models.PositiveSmallIntegerField(null=True, blank=True)
    explanation = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True, max_length=COMMENT_MAX_LENGTH)
    status = models.CharField(max_length=10, choices=ReviewStatus.choices)
    hidden_reason = models.CharField(max_length=HIDDEN_REASON_MAX_LENGTH, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        permissions = [
            ("moderate_review", "Can hide, unhide and approve reviews"),
            ("reply_review", "Can reply to reviews of one's own visits"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=_in_range("rating", nullable=False), name="review_rating_1_to_5"
            ),
            *(
                models.CheckConstraint(
                    condition=_in_range(name, nullable=True), name=f"review_{name}_1_to_5"
                )
                for name in SUB_RATINGS
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReviewStatus.values), name="review_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ReviewStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="review_published_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReviewStatus.HIDDEN) | ~Q(hidden_reason=""),
                name="review_hidden_has_reason",
            ),
        ]
        indexes = [
            # Aggregates read (doctor|clinic, status, rating) from the index alone; the
            # listings walk (doctor|clinic, status, published_at) newest first.
            models.Index(fields=["doctor", "status", "rating"], name="review_doctor_rating_idx"),
            models.Index(fields=["clinic", "status", "rating"], name="review_clinic_rating_idx"),
            models.Index(
                fields=["doctor", "status", "-published_at"], name="review_doctor_latest_idx"
            ),
            models.Index(
                fields=["clinic", "status", "-published_at"], name="review_clinic_latest_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.doctor} ({self.get_status_display()})"

    @property
    def sub_ratings(self) -> list[tuple[str, int]]:
        """(label, value) of the sub-ratings the patient gave."""
        labels = dict(SUB_RATING_LABELS)
        return [(labels[n], getattr(self, n)) for n in SUB_RATINGS if getattr(self, n)]


SUB_RATING_LABELS = [
    ("waiting_time", _("Waiting time")),
    ("manner", _("Manner")),
    ("explanation", _("Explanation")),
]


class DoctorReply(models.Model):
    """The doctor's one public answer to a review."""

    clinic_scope_path = "review__clinic"

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="reply")
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="review_replies")
    body = models.TextField(max_length=REPLY_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "doctor replies"
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="reply_body_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Reply by {self.doctor} to review {self.review_id}"


class ReviewSettings(models.Model):
    """A clinic's moderation choice. No row means the defaults (publish straight away)."""

    clinic_scope_path = "clinic"

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="review_settings")
    requires_manual_approval = models.BooleanField(
        default=False,
        help_text="New reviews wait for a clinic manager's approval before they are shown.",
    )

    class Meta:
        verbose_name = "review settings"
        verbose_name_plural = "review settings"

    def __str__(self) -> str:
        return f"Review settings of {self.clinic}"


class BannedWord(models.Model):
    """A word no review or reply may contain (platform-wide, kept by platform admins).

    A table rather than a setting: moderators add a word the day it shows up, without a
    deploy. Matched case-insensitively on whole words.
    """

    word = models.CharField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["word"]
        constraints = [
            models.CheckConstraint(condition=~Q(word=""), name="banned_word_not_empty"),
        ]

    def __str__(self) -> str:
        return self.word
