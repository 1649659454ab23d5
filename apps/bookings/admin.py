from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from apps.audit.models import AuditEntry
from apps.bookings import services, visit_notes
from apps.bookings.models import Booking, BookingEvent, VisitNote, WaitlistEntry, WaitlistOffer
from apps.clinics.admin_scoping import ClinicScopedAdmin, DoctorSelfScopedMixin
from apps.core.admin import ReadOnlyAdminMixin
from apps.core.errors import DomainError


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "actor", "data"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class UpcomingFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", "Upcoming"), ("past", "Past")]

    def queryset(self, request, queryset):
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gte=timezone.now())
        if self.value() == "past":
            return queryset.filter(starts_at__lt=timezone.now())
        return queryset


@admin.register(Booking)
class BookingAdmin(DoctorSelfScopedMixin, ClinicScopedAdmin):
    """Bookings change only through the booking services (locks, timeline, audit).

    Doctors see their own appointments only (and their notes); the visit-day steps and
    cancelling are actions, each with its own permission.
    """

    own_choices: dict[str, str] = {}

    list_display = [
        "reference",
        "local_start",
        "patient_name",
        "doctor",
        "service",
        "clinic",
        "status_badge",
        "price",
    ]
    list_filter = ["status", UpcomingFilter, "clinic", "doctor"]
    search_fields = [
        "reference",
        "patient__email",
        "patient__first_name",
        "patient__last_name",
        "doctor__user__last_name",
    ]
    # The service's name shows its clinic: without service__clinic, one query per row.
    list_select_related = ["patient", "doctor__user", "clinic", "service__clinic"]
    date_hierarchy = "starts_at"
    ordering = ["starts_at"]
    inlines = [BookingEventInline]
    actions = ["check_in", "mark_no_show", "complete", "cancel_on_behalf"]
    readonly_fields = [
        "reference",
        "status",
        "patient",
        "doctor",
        "clinic",
        "service",
        "slot",
        "starts_at",
        "ends_at",
        "blocked_from",
        "blocked_until",
        "price_base_minor",
        "price_discount_minor",
        "price_promo_minor",
        "price_total_minor",
        "currency",
        "hold_expires_at",
        "cancelled_at",
        "cancellation_reason",
        "created_by",
        "created_at",
        "patient_notes",
        "audit_trail",
    ]

    def has_add_permission(self, request):
        return False  # bookings are made through the exclusive-booking service

    def has_delete_permission(self, request, obj=None):
        return False  # history is kept; cancel instead

    @admin.display(description="Audit trail")
    def audit_trail(self, obj: Booking) -> str:
        """Who did what to this booking, from the audit log (append-only)."""
        entries = AuditEntry.objects.for_target(obj).order_by("at", "id")
        if not entries:
            return "—"
        return format_html(
            "<table><thead><tr><th>When</th><th>Who</th><th>What</th><th>Changes</th>"
            "<th>From</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        f"{e.at.astimezone(obj.clinic.tz):%d %b %Y %H:%M}",
                        e.actor_label,
                        e.action,
                        "; ".join(
                            f"{k}: {v[0]} → {v[1]}"
                            for k, v in (e.changes or {}).items()
                            if isinstance(v, list) and len(v) == 2
                        ),
                        e.ip or "",
                    )
                    for e in entries
                ),
            ),
        )

    @admin.display(description="Starts (clinic time)", ordering="starts_at")
    def local_start(self, obj: Booking) -> str:
        return f"{obj.local_starts_at:%a %d %b %Y %H:%M} {obj.clinic.tz_city}"

    @admin.display(description="Patient", ordering="patient__last_name")
    def patient_name(self, obj: Booking) -> str:
        return obj.patient.get_full_name()

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj: Booking) -> str:
        return obj.get_status_display()

    @admin.display(description="Price", ordering="price_total_minor")
    def price(self, obj: Booking) -> str:
        return str(obj.price_total)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Visit notes below the booking, for the circle that may read them (doctor of the
        booking, nurses of the clinic), with a link to write one for the booking's doctor."""
        extra_context = dict(extra_context or {})
        user = request.user
        if visit_notes.can_read_visit_notes(user) and str(object_id).isdigit():
            notes = visit_notes.visit_note_list_for(user).filter(booking_id=object_id)
            extra_context["visit_notes"] = list(notes)
            extra_context["show_visit_notes"] = True
            if visit_notes.booking_list_open_for_notes(user).filter(pk=object_id).exists():
                extra_context["write_note_url"] = (
                    f"{reverse('admin:bookings_visitnote_add')}?booking={object_id}"
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def _apply(self, request, queryset, service, done: str) -> None:
        ok, failed = 0, []
        for booking in queryset:
            try:
                service(booking=booking, actor=request.user)
                ok += 1
            except DomainError as error:
                failed.append(f"{booking.reference}: {error.message}")
        if ok:
            self.message_user(
                request,
                _("%(count)d booking(s) %(done)s.") % {"count": ok, "done": done},
                messages.SUCCESS,
            )
        for line in failed:
            self.message_user(request, line, messages.WARNING)

    # Each step has its own permission (apps.accounts.roles says who holds it); the
    # scoped queryset decides which bookings, so another clinic's are never touched.
    def has_check_in_permission(self, request) -> bool:
        return request.user.has_perm("bookings.check_in_booking")

    def has_mark_no_show_permission(self, request) -> bool:
        return request.user.has_perm("bookings.mark_no_show_booking")

    def has_complete_permission(self, request) -> bool:
        return request.user.has_perm("bookings.complete_booking")

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("bookings.cancel_booking")

    @admin.action(description=_("Check in"), permissions=["check_in"])
    def check_in(self, request, queryset):
        self._apply(request, queryset, services.booking_check_in, _("checked in"))

    @admin.action(description=_("Mark as no-show"), permissions=["mark_no_show"])
    def mark_no_show(self, request, queryset):
        self._apply(request, queryset, services.booking_mark_no_show, _("marked as no-show"))

    @admin.action(description=_("Mark visit completed"), permissions=["complete"])
    def complete(self, request, queryset):
        self._apply(request, queryset, services.booking_complete, _("completed"))

    @admin.action(
        description=_("Cancel on the clinic's behalf (full refund)…"), permissions=["cancel"]
    )
    def cancel_on_behalf(self, request, queryset):
        """Asks for the reason first, on a page of its own (like "delete selected"): the
        patient is told it, and it stays on the booking's timeline."""
        bookings = list(queryset.select_related("patient", "clinic", "doctor__user"))
        form = CancelOnBehalfForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]

            def cancel(*, booking, actor):
                return services.booking_cancel(
                    booking=booking, actor=actor, reason=reason, by_clinic=True
                )

            self._apply(request, bookings, cancel, _("cancelled"))
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cancel appointments on the clinic's behalf"),
            "opts": self.model._meta,
            "bookings": bookings,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/bookings/booking/cancel_on_behalf.html", context)


class CancelOnBehalfForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, as the patient will read it"),
        min_length=5,
        max_length=300,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "cols": 60,
                "aria-describedby": "id_reason_helptext",
                "autofocus": True,  # the one thing to do on this page
            }
        ),
        help_text=_("For example: the doctor is ill. At most 300 characters."),
    )

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if len(reason) < 5:
            raise forms.ValidationError(_("Say in a few words why the clinic cancels."))
        return reason


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdminMixin, ClinicScopedAdmin):
    list_display = ["created_at", "patient", "clinic", "service", "doctor", "date_from", "date_to"]
    list_display += ["status"]
    list_filter = ["status", "clinic"]
    search_fields = ["patient__email", "patient__last_name"]
    list_select_related = ["patient", "clinic", "service__clinic", "doctor__user"]
    ordering = ["created_at", "id"]


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(ReadOnlyAdminMixin, ClinicScopedAdmin):
    list_display = ["created_at", "entry_patient", "booking", "expires_at", "status"]
    list_filter = ["status"]
    search_fields = ["booking__reference", "entry__patient__email"]
    list_select_related = ["entry__patient", "booking"]
    ordering = ["-created_at", "-id"]

    @admin.display(description="Patient", ordering="entry__patient__last_name")
    def entry_patient(self, obj: WaitlistOffer) -> str:
        return obj.entry.patient.get_full_name()


class _BookingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Booking) -> str:
        return (
            f"{obj.reference} · {obj.patient.get_full_name()} · "
            f"{obj.local_starts_at:%a %d %b %Y %H:%M} ({obj.get_status_display()})"
        )


class VisitNoteForm(forms.ModelForm):
    """Checks what the service checks, so a refusal is a field error, not a failed save.
    ``user`` is set per request by ``VisitNoteAdmin.get_form``."""

    user = None

    class Meta:
        model = VisitNote
        fields = ["booking", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 12, "cols": 80})}

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(visit_notes.VisitNoteEmpty.message)
        return text

    def clean(self):
        cleaned = super().clean()
        booking = cleaned.get("booking") if self.instance.pk is None else self.instance.booking
        if booking is not None and not visit_notes.can_write_visit_note(self.user, booking):
            raise forms.ValidationError(visit_notes.VisitNoteNotAllowed.message)
        return cleaned


@admin.register(VisitNote)
class VisitNoteAdmin(admin.ModelAdmin):
    """Doctors write notes on their own appointments once the patient is there (or did not
    come); nurses of the clinic read them. Nobody else, platform admins included: see
    apps.bookings.visit_notes. Saved through ``visit_note_save`` (locked, audited)."""

    form = VisitNoteForm
    list_display = ["booking_reference", "local_start", "patient_name", "doctor", "local_updated"]
    list_select_related = ["booking__patient", "booking__clinic", "booking__doctor__user"]
    search_fields = ["booking__reference", "booking__patient__last_name", "text"]
    ordering = ["-updated_at", "-id"]

    def get_queryset(self, request):
        return visit_notes.visit_note_list_for(request.user).select_related(
            "booking__patient", "booking__doctor__user"
        )

    def has_module_permission(self, request) -> bool:
        return visit_notes.can_read_visit_notes(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return visit_notes.can_read_visit_notes(request.user)

    def has_add_permission(self, request) -> bool:
        user = request.user
        return visit_notes.can_read_visit_notes(user) and user.has_perm("bookings.add_visitnote")

    def has_change_permission(self, request, obj=None) -> bool:
        user = request.user
        if not (
            visit_notes.can_read_visit_notes(user) and user.has_perm("bookings.change_visitnote")
        ):
            return False
        return obj is None or (
            obj.author_id == user.pk and visit_notes.can_write_visit_note(user, obj.booking)
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # clinical records are kept; a correction is a new text

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["booking", "author", "created_at", "updated_at"]
        return []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["booking", "text"]
        return ["booking", "author", "text", "created_at", "updated_at"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # A class per request: the admin instance is shared between requests.
        return type(form.__name__, (form,), {"user": request.user})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "booking":
            kwargs["queryset"] = visit_notes.booking_list_open_for_notes(
                request.user
            ).select_related("patient", "clinic")
            kwargs["form_class"] = _BookingChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        saved = visit_notes.visit_note_save(
            booking=form.cleaned_data.get("booking") or obj.booking,
            author=request.user,
            text=form.cleaned_data["text"],
            note=obj if change else None,
        )
        obj.pk, obj.author_id = saved.pk, saved.author_id
        obj.created_at, obj.updated_at = saved.created_at, saved.updated_at

    def _back_to_booking(self, request, obj, response):
        # The note was written from the booking page: go back there, unless the person asked
        # to keep editing or to add another.
        if any(key in request.POST for key in ("_continue", "_addanother")):
            return response
        return HttpResponseRedirect(reverse("admin:bookings_booking_change", args=[obj.booking_id]))

    def response_add(self, request, obj, post_url_continue=None):
        return self._back_to_booking(request, obj, super().response_add(request, obj))

    def response_change(self, request, obj):
        return self._back_to_booking(request, obj, super().response_change(request, obj))

    @admin.display(description=_("Last written (clinic time)"), ordering="updated_at")
    def local_updated(self, obj: VisitNote) -> str:
        clinic = obj.booking.clinic
        return f"{obj.updated_at.astimezone(clinic.tz):%a %d %b %Y %H:%M} {clinic.tz_city}"

    @admin.display(description=_("Booking"), ordering="booking__reference")
    def booking_reference(self, obj: VisitNote) -> str:
        return obj.booking.reference

    @admin.display(description=_("Visit (clinic time)"), ordering="booking__starts_at")
    def local_start(self, obj: VisitNote) -> str:
        return f"{obj.booking.local_starts_at:%a %d %b %Y %H:%M} {obj.booking.clinic.tz_city}"

    @admin.display(description=_("Patient"), ordering="booking__patient__last_name")
    def patient_name(self, obj: VisitNote) -> str:
        return obj.booking.patient.get_full_name()

    @admin.display(description=_("Doctor"))
    def doctor(self, obj: VisitNote) -> str:
        return str(obj.booking.doctor)
