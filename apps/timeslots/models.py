from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.clinics.models import Clinic, Weekday
from apps.doctors.models import Doctor


class DoctorSchedule(Doctor):
    """The back office's view of a doctor as a schedule: rules, exceptions, slots."""

    class Meta:
        proxy = True
        verbose_name = "doctor schedule"


class ScheduleRule(models.Model):
    """A doctor works at a clinic on a weekday between two wall-clock times."""

    clinic_scope_path = "clinic"

    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="schedule_rules")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="schedule_rules")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField(help_text="Clinic local time.")
    end_time = models.TimeField(help_text="Clinic local time.")
    slot_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True, help_text="Empty: until further notice.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["doctor", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=F("end_time")), name="rule_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=240), name="rule_slot_length"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="rule_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M} "
            f"every {self.slot_minutes} min at {self.clinic}"
        )

    def clean(self) -> None:
        super().clean()
        if not (self.doctor_id and self.clinic_id and self.start_time and self.end_time):
            return
        if self.start_time >= self.end_time:
            raise ValidationError({"end_time": "The end must be after the start."})
        if not self.doctor.services.filter(clinic_id=self.clinic_id).exists():
            raise ValidationError(
                {"clinic": "The doctor offers no service at this clinic yet: add one first."}
            )
        if self.valid_from is None:
            return  # already a field error; the overlap query cannot compare with None
        overlapping = (
            ScheduleRule.objects.filter(
                doctor_id=self.doctor_id,
                weekday=self.weekday,
                is_active=True,
                start_time__lt=self.end_time,
                end_time__gt=self.start_time,
            )
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=self.valid_from))
            .exclude(pk=self.pk)
        )
        if self.valid_until:
            overlapping = overlapping.filter(valid_from__lte=self.valid_until)
        if self.is_active and overlapping.exists():
            raise ValidationError(
                "This overlaps another active rule of the same doctor on that weekday: "
                f"{overlapping.first()}."
            )


class ScheduleBreak(models.Model):
    """A pause inside a rule's hours (lunch), wall-clock local time."""

    clinic_scope_path = "rule__clinic"

    rule = models.ForeignKey(ScheduleRule, on_delete=models.CASCADE, related_name="breaks")
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["rule", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=F("end_time")), name="break_start_before_end"
            ),
        ]

    def __str__(self) -> str:
        return f"Break {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class ExceptionKind(models.TextChoices):
    LEAVE = "leave", _("Leave")
    SICK = "sick", _("Sick day")
    EXTRA_HOURS = "extra_hours", _("Extra hours")


class ScheduleException(models.Model):
    """A one-off change: time off (no slots) or extra hours (more slots)."""

    clinic_scope_path = "doctor__services__clinic"

    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="schedule_exceptions")
    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedule_exceptions",
        help_text="Empty for leave: away from every clinic. Required for extra hours.",
    )
    kind = models.CharField(max_length=12, choices=ExceptionKind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    slot_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["doctor", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="exception_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(kind="extra_hours")
                | Q(clinic__isnull=False, slot_minutes__isnull=False),
                name="exception_extra_hours_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"

    def clean(self) -> None:
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The end must be after the start."})
        if self.kind == ExceptionKind.EXTRA_HOURS:
            errors = {}
            if not self.clinic_id:
                errors["clinic"] = "Extra hours happen at a clinic: choose one."
            if not self.slot_minutes:
                errors["slot_minutes"] = "Extra hours need a slot length."
            if errors:
                raise ValidationError(errors)


class SlotStatus(models.TextChoices):
    OPEN = "open", _("Open")
    BLOCKED = "blocked", _("Blocked")


class SlotSource(models.TextChoices):
    RULE = "rule", _("Weekly schedule")
    EXTRA = "extra", _("Extra hours")
    MANUAL = "manual", _("Added by hand")


class SlotQuerySet(models.QuerySet):
    def open(self) -> "SlotQuerySet":
        return self.filter(status=SlotStatus.OPEN)

    def for_doctor(self, doctor: Doctor | int) -> "SlotQuerySet":
        return self.filter(doctor=doctor)

    def overlapping(self, starts_at, ends_at) -> "SlotQuerySet":
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)


class Slot(models.Model):
    """A bookable start time of a doctor at a clinic. Times in UTC.

    A doctor's slots never overlap: generation avoids it, and on PostgreSQL an exclusion
    constraint (migration 0002) makes it impossible.
    """

    clinic_scope_path = "clinic"

    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="slots")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=SlotStatus.choices, default=SlotStatus.OPEN)
    source = models.CharField(max_length=8, choices=SlotSource.choices, default=SlotSource.RULE)
    block_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SlotQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "doctor"]
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "starts_at"], name="slot_unique_doctor_start"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "starts_at"], name="slot_clinic_start_idx"),
            models.Index(
                fields=["doctor", "starts_at"],
                condition=Q(status="open"),
                name="slot_open_doctor_start_idx",
            ),
        ]

    def __str__(self) -> str:
        local = self.starts_at.astimezone(self.clinic.tz)
        return f"{self.doctor} {local:%a %d %b %H:%M} ({self.clinic.tz_city} time)"

    @property
    def is_open(self) -> bool:
        return self.status == SlotStatus.OPEN
