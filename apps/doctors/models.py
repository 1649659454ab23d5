from django.conf import settings
from django.db import models

from apps.clinics.models import Clinic, ServiceOffering


class Specialty(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"

    def __str__(self) -> str:
        return self.name


class SpokenLanguage(models.Model):
    code = models.CharField(max_length=8, unique=True, help_text="ISO 639-1, e.g. de.")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DoctorQuerySet(models.QuerySet):
    def active(self) -> "DoctorQuerySet":
        return self.filter(is_active=True, user__is_active=True)

    def at_clinic(self, clinic: Clinic | int) -> "DoctorQuerySet":
        return self.filter(pk__in=Doctor.objects.filter(services__clinic=clinic).values("pk"))


class Doctor(models.Model):
    """A doctor's public profile. Where they work follows from the services they offer."""

    clinic_scope_path = "services__clinic"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="doctor_profile"
    )
    title = models.CharField(max_length=20, default="Dr.", blank=True)
    slug = models.SlugField(max_length=80, unique=True)
    specialties = models.ManyToManyField(Specialty, related_name="doctors")
    languages = models.ManyToManyField(SpokenLanguage, related_name="doctors", blank=True)
    services = models.ManyToManyField(ServiceOffering, related_name="doctors", blank=True)
    bio = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    objects = DoctorQuerySet.as_manager()

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.title} {self.user.full_name or self.user.email}".strip()
