"""Emergency block: block a doctor's time, see who is affected, cancel or move in one go.

One URL, three steps. GET without ``step``: the form (``?clinic=`` narrows the doctor
list). GET ``step=preview``: what would happen, with a choice per booking (read only, so
it can be reloaded and linked to). POST: apply (``bookings.emergency``), then the result
(post/redirect/get through the session; htmx gets it in place). Who may: managers and
receptionists of the clinic and platform admins (``clinic_list_for_emergency_block``);
anyone else 403, another clinic's or doctor's id 404.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from apps.backoffice.forms.emergency_block import EmergencyBlockForm, parse_decisions
from apps.bookings import emergency
from apps.bookings.emergency import Choice, Decision, Outcome
from apps.bookings.models import Booking
from apps.core.errors import DomainError
from apps.core.money import Money
from apps.core.templatetags.clinix import clinic_time
from apps.doctors.models import Doctor
from apps.payments.models import Payment, PaymentStatus, RefundStatus

_SESSION_KEY = "emergency_block_result"
_FORM_FIELDS = ("clinic", "doctor", "starts", "ends", "reason")


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def emergency_block(request: HttpRequest) -> HttpResponse:
    clinics = emergency.clinic_list_for_emergency_block(request.user)
    if not clinics.exists():
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    _foreign_ids_are_not_found(data, clinics)
    now = timezone.now()
    if request.method == "GET" and data.get("done"):
        return _result_page(request)
    if request.method == "GET" and data.get("step") != "preview":
        form = EmergencyBlockForm(initial=data.dict(), clinics=clinics, now=now)
        return _render(request, "form", {"form": form})
    form = EmergencyBlockForm(data, clinics=clinics, now=now)
    if not form.is_valid():
        return _render(request, "form", {"form": form}, status=422)
    preview = emergency.emergency_preview(
        clinic=form.cleaned_data["clinic"],
        doctor=form.cleaned_data["doctor"],
        starts_at=form.cleaned_data["starts_at"],
        ends_at=form.cleaned_data["ends_at"],
        now=now,
    )
    try:
        decisions = parse_decisions(data)
    except ValidationError as error:
        context = _preview_context(form, preview, {}, problem=error.messages[0])
        return _render(request, "preview", context, status=422)
    if request.method == "GET":
        context = _preview_context(form, preview, decisions)
        part = "consequence" if request.htmx and data.get("part") == "consequence" else "preview"
        return _render(request, part, context)
    try:
        result = emergency.emergency_apply(
            clinic=form.cleaned_data["clinic"],
            doctor=form.cleaned_data["doctor"],
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            reason=form.cleaned_data["reason"],
            decisions=decisions,
            actor=request.user,
        )
    except DomainError as error:
        context = _preview_context(form, preview, decisions, problem=error.message)
        return _render(request, "preview", context, status=error.http_status)
    summary = _result_summary(form, result)
    if request.htmx:
        return _render(request, "result", {"result": summary})
    request.session[_SESSION_KEY] = summary
    return redirect(f"{reverse('backoffice:emergency-block')}?done=1")


def _render(request, part: str, context: dict, status: int = 200) -> HttpResponse:
    template = (
        f"backoffice/_partials/emergency_{part}.html"
        if request.htmx
        else "backoffice/emergency_block.html"
    )
    return render(request, template, {**context, "part": part}, status=status)


def _foreign_ids_are_not_found(data, clinics) -> None:
    """An id of a clinic, or of a doctor, outside the user's clinics is simply not found."""
    clinic_id, doctor_id = data.get("clinic", ""), data.get("doctor", "")
    if clinic_id.isdigit() and not clinics.filter(pk=int(clinic_id)).exists():
        raise Http404
    if doctor_id.isdigit() and not (
        Doctor.objects.filter(pk=int(doctor_id), services__clinic__in=clinics).exists()
    ):
        raise Http404


def _preview_context(form, preview, chosen: dict[int, Decision], problem: str = "") -> dict:
    """Rows with their choice (as submitted, else the default) and what it all amounts to."""
    paid = _paid_by_booking([a.booking.pk for a in preview.affected])
    rows, cancels, moves = [], 0, 0
    refunds = Money(0, preview.clinic.currency)
    for affected in preview.affected:
        decision = chosen.get(affected.booking.pk)
        choice = decision.choice if decision else affected.default_choice
        if choice == Choice.MOVE and affected.alternative is None:
            choice = Choice.CANCEL
        money = paid.get(affected.booking.pk)
        if choice == Choice.CANCEL:
            cancels += 1
            if money is not None and money.currency == refunds.currency:
                refunds = refunds + money
        else:
            moves += 1
        rows.append({"affected": affected, "choice": choice, "paid": money})
    return {
        "form": form,
        "preview": preview,
        "rows": rows,
        "cancels": cancels,
        "moves": moves,
        "refunds": refunds,
        "hidden": {name: form.data.get(name, "") for name in _FORM_FIELDS},
        "problem": problem,
        "horizon_days": emergency.HORIZON_DAYS,
    }


def _paid_by_booking(booking_ids: list[int]) -> dict[int, Money]:
    """What each booking's patient has paid online and not had back yet. One query."""
    if not booking_ids:
        return {}
    rows = (
        Payment.objects.filter(booking_id__in=booking_ids, status=PaymentStatus.SUCCEEDED)
        .annotate(
            returned=Coalesce(
                Sum("refunds__amount_minor", filter=~Q(refunds__status=RefundStatus.FAILED)), 0
            )
        )
        .values_list("booking_id", "captured_minor", "returned", "currency")
    )
    return {
        booking_id: Money(max(captured - returned, 0), currency)
        for booking_id, captured, returned, currency in rows
        if captured > returned
    }


def _result_summary(form, result: emergency.EmergencyResult) -> dict:
    """The result as plain data (it travels through the session to the result page)."""
    clinic = form.cleaned_data["clinic"]
    query = {name: form.data.get(name, "") for name in _FORM_FIELDS} | {"step": "preview"}
    fresh = Booking.objects.select_related("patient", "service", "doctor__user").in_bulk(
        [item.booking.pk for item in result.results]
    )
    rows = []
    for item in result.results:
        booking = fresh[item.booking.pk]
        moved = item.outcome == Outcome.MOVED
        rows.append(
            {
                "reference": booking.reference,
                "patient": booking.patient.get_full_name() or booking.patient.email,
                "service": booking.service.name,
                "outcome": item.outcome,
                "outcome_label": str(Outcome(item.outcome).label),
                "attention": item.outcome in emergency.NEEDS_ATTENTION,
                "was": clinic_time(item.old_starts_at, clinic),
                "now": clinic_time(booking.starts_at, clinic) if moved else "",
                "doctor": booking.doctor.display_name
                if moved and booking.doctor_id != item.old_doctor.pk
                else "",
                "problem": item.problem,
            }
        )
    return {
        "clinic": clinic.name,
        "doctor": form.cleaned_data["doctor"].display_name,
        "range": [
            clinic_time(form.cleaned_data["starts_at"], clinic),
            clinic_time(form.cleaned_data["ends_at"], clinic),
        ],
        "slots_blocked": result.slots_blocked,
        "cancelled": result.count(Outcome.CANCELLED),
        "moved": result.count(Outcome.MOVED),
        "left": len(result.needs_attention),
        "already_handled": result.already_handled,
        "nothing_to_do": result.nothing_to_do,
        "rows": rows,
        "again_url": f"{reverse('backoffice:emergency-block')}?{urlencode(query)}",
    }


def _result_page(request) -> HttpResponse:
    summary = request.session.get(_SESSION_KEY)
    if summary is None:
        return redirect("backoffice:emergency-block")
    return _render(request, "result", {"result": summary})
