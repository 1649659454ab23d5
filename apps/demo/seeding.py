"""Build the demo world of world.py. Idempotent: every row is found by a natural key first.

Upcoming bookings go through the real booking services (locks, validation, timeline).
The history (completed visits, no-shows, expired holds) cannot be booked in the past, so
it is written as rows with their timeline events, once.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import PatientProfile, User
from apps.accounts.roles import Role
from apps.accounts.services import user_set_role
from apps.audit.services import audit_record
from apps.bookings import selectors as booking_selectors
from apps.bookings import services as booking_services
from apps.bookings.models import Booking, BookingEvent, BookingStatus, EventKind
from apps.bookings.validation import Placement
from apps.clinics.models import (
    Clinic,
    ClinicMembership,
    Closure,
    ClosureKind,
    OpeningHours,
    ServiceCategory,
    ServiceOffering,
)
from apps.core.errors import DomainError
from apps.core.money import Money
from apps.core.timeutils import local_day_bounds
from apps.demo import world
from apps.doctors.models import Doctor, Specialty, SpokenLanguage
from apps.outbox.models import OutboxEvent
from apps.payments import services as payment_services
from apps.payments.gateways.simulated import SUCCEEDING_CARD, SimulatedGateway
from apps.payments.models import (
    DiscountPolicy,
    Payment,
    PaymentStatus,
    PromoCode,
    PromoRedemption,
    Refund,
    RefundStatus,
)
from apps.reviews import services as review_services
from apps.reviews.models import Review
from apps.timeslots.models import ScheduleBreak, ScheduleRule, Slot
from apps.timeslots.services import slots_generate

HISTORY_DAYS = 14
FUTURE_DAYS = 21


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, created: bool = True) -> None:
        if created:
            self.created[what] = self.created.get(what, 0) + 1

    def add(self, what: str, number: int) -> None:
        if number:
            self.created[what] = self.created.get(what, 0) + number


def seed(*, today: date | None = None) -> SeedReport:
    report = SeedReport()
    today = today or timezone.now().date()
    with transaction.atomic():
        _reference_data(report)
        clinics = {spec["slug"]: _clinic(spec, report, today) for spec in world.CLINICS}
        _staff(clinics, report)
        patients = _patients(report)
        doctors = [_doctor(spec, clinics, report) for spec in world.DOCTORS]
        _pricing(report, today)
    for doctor in doctors:
        result = slots_generate(
            doctor=doctor,
            first=today - timedelta(days=HISTORY_DAYS),
            last=today + timedelta(days=FUTURE_DAYS),
        )
        report.add("slots", result.created)
    if not Booking.objects.filter(patient__in=patients).exists():
        _bookings(doctors, patients, report)
        _money_history(report)
    if not Review.objects.exists():
        _reviews(doctors, patients, report)
    _today_at_the_desk(doctors, patients, report)
    # The demo's history is not news: nobody is e-mailed about bookings made by the seed.
    OutboxEvent.objects.filter(dispatched_at__isnull=True).update(dispatched_at=timezone.now())
    return report


def _pricing(report: SeedReport, today: date) -> None:
    """The discount rule with its defaults, and a welcome promo code for the demo."""
    _, created = DiscountPolicy.objects.get_or_create(pk=1)
    report.count("discount policies", created)
    start = datetime.combine(today, time.min, tzinfo=timezone.get_current_timezone())
    _, created = PromoCode.objects.get_or_create(
        code="WELCOME10",
        defaults={
            "description": "10% off a first booking",
            "kind": "percent",
            "percent": 10,
            "valid_from": start - timedelta(days=30),
            "valid_until": start + timedelta(days=365),
            "max_uses": 1000,
            "max_uses_per_patient": 1,
        },
    )
    report.count("promo codes", created)


# --- Reference data, clinics, people -------------------------------------------------------


def _reference_data(report: SeedReport) -> None:
    for code, name in world.LANGUAGES:
        _, created = SpokenLanguage.objects.get_or_create(code=code, defaults={"name": name})
        report.count("languages", created)
    for slug, name in world.SPECIALTIES:
        _, created = Specialty.objects.get_or_create(slug=slug, defaults={"name": name})
        report.count("specialties", created)
    for slug, name, description in world.CATEGORIES:
        _, created = ServiceCategory.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )
        report.count("service categories", created)


def _clinic(spec: dict, report: SeedReport, today: date) -> Clinic:
    fields = {k: v for k, v in spec.items() if k not in {"slug", "hours", "closures", "services"}}
    clinic, created = Clinic.objects.get_or_create(slug=spec["slug"], defaults=fields)
    report.count("clinics", created)
    for weekday, intervals in spec["hours"].items():
        for opens, closes in intervals:
            _, created = OpeningHours.objects.get_or_create(
                clinic=clinic, weekday=weekday, opens=opens, defaults={"closes": closes}
            )
            report.count("opening hours", created)
    for starts_on, ends_on, kind, reason in spec["closures"]:
        _, created = Closure.objects.get_or_create(
            clinic=clinic,
            starts_on=starts_on,
            reason=reason,
            defaults={"ends_on": ends_on, "kind": kind},
        )
        report.count("closures", created)
    # A closure soon enough to see in the slot lists: found by its reason on later runs.
    training_day = _next_weekday(today + timedelta(days=9))
    _, created = Closure.objects.get_or_create(
        clinic=clinic,
        reason="Team training day",
        defaults={"starts_on": training_day, "ends_on": training_day, "kind": ClosureKind.OTHER},
    )
    report.count("closures", created)
    categories = {c.slug: c for c in ServiceCategory.objects.all()}
    for name, category, minutes, before, after, price in spec["services"]:
        _, created = ServiceOffering.objects.get_or_create(
            clinic=clinic,
            name=name,
            defaults={
                "category": categories[category],
                "duration_minutes": minutes,
                "buffer_before_minutes": before,
                "buffer_after_minutes": after,
                "price_minor": price,
            },
        )
        report.count("services", created)
    return clinic


def _user(email: str, first: str, last: str, role: str, report: SeedReport) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"first_name": first, "last_name": last}
    )
    if created:
        user.set_password(world.DEMO_PASSWORD)
        user.save(update_fields=["password"])
        user_set_role(user=user, role=role)
        report.count("users")
    # A verified, primary allauth address: demo people sign in at /accounts/login/ at once.
    address, created = EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    if not (address.verified and address.primary):
        address.verified = address.primary = True
        address.save(update_fields=["verified", "primary"])
        created = True
    report.count("email addresses", created)
    return user


def _staff(clinics: dict[str, Clinic], report: SeedReport) -> None:
    for email, first, last, role, clinic_slug in world.STAFF:
        user = _user(email, first, last, role, report)
        if clinic_slug:
            _, created = ClinicMembership.objects.get_or_create(
                user=user, clinic=clinics[clinic_slug], role=role
            )
            report.count("memberships", created)


def _patients(report: SeedReport) -> list[User]:
    patients = []
    for email, first, last, born, sex, phone, language in world.PATIENTS:
        user = _user(email, first, last, Role.PATIENT, report)
        _, created = PatientProfile.objects.get_or_create(
            user=user,
            defaults={
                "date_of_birth": born,
                "sex": sex,
                "phone": phone,
                "preferred_language": language,
            },
        )
        report.count("patient profiles", created)
        patients.append(user)
    return patients


def _doctor(spec: dict, clinics: dict[str, Clinic], report: SeedReport) -> Doctor:
    clinic = clinics[spec["clinic"]]
    user = _user(spec["email"], spec["first"], spec["last"], Role.DOCTOR, report)
    _, created = ClinicMembership.objects.get_or_create(user=user, clinic=clinic, role=Role.DOCTOR)
    report.count("memberships", created)
    doctor, created = Doctor.objects.get_or_create(
        user=user, defaults={"slug": spec["slug"], "bio": spec["bio"]}
    )
    report.count("doctors", created)
    if created:
        doctor.specialties.set(Specialty.objects.filter(slug__in=spec["specialties"]))
        doctor.languages.set(SpokenLanguage.objects.filter(code__in=spec["languages"]))
        doctor.services.set(
            ServiceOffering.objects.filter(clinic=clinic, name__in=spec["services"])
        )
    start, end = (time.fromisoformat(t) for t in spec["hours"])
    for weekday in spec["days"]:
        rule, created = ScheduleRule.objects.get_or_create(
            doctor=doctor,
            clinic=clinic,
            weekday=weekday,
            start_time=start,
            defaults={
                "end_time": end,
                "slot_minutes": spec["slot"],
                "valid_from": date(2025, 1, 1),
            },
        )
        report.count("schedule rules", created)
        for break_start, break_end in spec["breaks"]:
            ScheduleBreak.objects.get_or_create(
                rule=rule,
                start_time=time.fromisoformat(break_start),
                defaults={"end_time": time.fromisoformat(break_end)},
            )
    return doctor


def _next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


# --- Bookings ---------------------------------------------------------------------------------


def _bookings(doctors: list[Doctor], patients: list[User], report: SeedReport) -> None:
    rng = random.Random(2026)  # the same world every time
    now = timezone.now()
    main_patient = patients[0]
    staff = User.objects.get(email="reception@clinix.test")

    upcoming = []
    for doctor in doctors:
        for _ in range(3):
            booking = _book_upcoming(doctor, rng.choice(patients), rng, now)
            if booking:
                upcoming.append(booking)
    report.add("upcoming bookings", len(upcoming))

    # The main demo patient: a confirmed visit, a moved one and a cancelled one.
    anna = doctors[0]
    mine = [_book_upcoming(anna, main_patient, rng, now, nth) for nth in (2, 6, 10)]
    mine = [b for b in mine if b]
    if len(mine) == 3:
        free = _bookable(anna, mine[1].service, now, start_day=5)
        if free:
            booking_services.booking_reschedule(
                booking=mine[1], new_slot_id=rng.choice(free[:10]).pk, actor=main_patient
            )
        booking_services.booking_cancel(
            booking=mine[2], actor=main_patient, reason="I feel better, thank you."
        )
        report.add("upcoming bookings", 3)

    history = [
        BookingStatus.COMPLETED,
        BookingStatus.COMPLETED,
        BookingStatus.NO_SHOW,
        BookingStatus.CANCELLED,
        BookingStatus.EXPIRED,
        BookingStatus.PAYMENT_FAILED,
        BookingStatus.COMPLETED,
    ]
    past_count = 0
    for doctor in doctors:
        past_slots = list(
            Slot.objects.filter(doctor=doctor, starts_at__lt=now - timedelta(hours=2))
            .select_related("clinic")
            .order_by("starts_at")
        )
        for status in rng.sample(history, k=4):
            if past_slots and _historic(
                doctor, rng.choice(past_slots), rng.choice(patients), status, rng, staff
            ):
                past_count += 1
    report.add("past bookings", past_count)

    # A visit in progress and two that wait on something, for the back office to see.
    extra = 0
    latest = Slot.objects.filter(doctor=anna, starts_at__lt=now).order_by("-starts_at").first()
    if latest and _historic(anna, latest, patients[1], BookingStatus.CHECKED_IN, rng, staff):
        extra += 1
    for status, doctor in ((BookingStatus.HELD, doctors[2]), (BookingStatus.REQUESTED, doctors[5])):
        service = doctor.services.first()
        free = _bookable(doctor, service, now, start_day=3)
        if free and _historic(doctor, free[0], rng.choice(patients[1:]), status, rng, staff):
            extra += 1
    report.add("in-progress bookings", extra)
    audit_record(actor=None, action="demo.seed", changes={"bookings": [0, Booking.objects.count()]})


#: The clinic whose receptionist signs in to the demo, and how many visits each doctor has
#: left today: the day sheet has work on it whenever the demo is started.
DESK_CLINIC = "spree-health-berlin"
VISITS_LEFT_TODAY = 2


def _today_at_the_desk(doctors: list[Doctor], patients: list[User], report: SeedReport) -> None:
    """Book a few of today's remaining times at the desk's clinic, unless it has some.

    Runs on every seed (the demo may be started on any later day); books only what the
    rules allow (minimum notice, free times), so late in the evening it may book none.
    """
    clinic = Clinic.objects.get(slug=DESK_CLINIC)
    now = timezone.now()
    _start, day_end = local_day_bounds(now.astimezone(clinic.tz).date(), clinic.tz)
    today = Booking.objects.filter(clinic=clinic, starts_at__gte=now, starts_at__lt=day_end)
    if today.exclude(status__in=[BookingStatus.CANCELLED, BookingStatus.EXPIRED]).exists():
        return
    rng = random.Random(now.date().toordinal())
    booked = 0
    for doctor in doctors:
        service = doctor.services.filter(clinic=clinic).select_related("clinic").first()
        if service is None:
            continue
        free = booking_selectors.slot_list_bookable(
            doctor_id=doctor.pk,
            clinic=clinic,
            service=service,
            window_start=now,
            window_end=day_end,
            now=now,
        )
        for slot in free[:: max(1, len(free) // VISITS_LEFT_TODAY)][:VISITS_LEFT_TODAY]:
            try:
                payment_services.checkout_book(
                    patient=rng.choice(patients), slot_id=slot.pk, service_id=service.pk
                )
                booked += 1
            except DomainError:
                continue  # that patient is busy then
    report.add("bookings today at the desk", booked)


def _bookable(doctor: Doctor, service: ServiceOffering, now: datetime, start_day: int = 1):
    return booking_selectors.slot_list_bookable(
        doctor_id=doctor.pk,
        clinic=service.clinic,
        service=service,
        window_start=now + timedelta(days=start_day),
        window_end=now + timedelta(days=FUTURE_DAYS),
        now=now,
    )


def _book_upcoming(doctor, patient, rng, now, start_day: int | None = None) -> Booking | None:
    service = rng.choice(list(doctor.services.select_related("clinic")))
    free = _bookable(doctor, service, now, start_day or rng.randint(1, 12))
    if not free:
        return None
    try:
        booking = payment_services.checkout_book(
            patient=patient, slot_id=rng.choice(free[:12]).pk, service_id=service.pk
        )
    except DomainError:
        return None  # the patient is busy then: fine, the world has enough bookings
    if booking.status == BookingStatus.HELD:  # a clinic paid online: pay with the test card
        payment = payment_services.payment_prepare(booking.payment)
        SimulatedGateway().confirm(payment.intent_id, card_number=SUCCEEDING_CARD)
        payment_services.payment_refresh(payment)
        booking.refresh_from_db()
    return booking


def _historic(doctor, slot, patient, status, rng, staff) -> Booking | None:
    """Write a booking with a plausible timeline that reached ``status``."""
    service = doctor.services.filter(clinic=slot.clinic).order_by("pk").first()
    placement = Placement.of(slot, service)
    starts_at, ends_at = placement.starts_at, placement.ends_at
    booked_at = starts_at - timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8))
    now = timezone.now()
    is_hold = status in (BookingStatus.HELD, BookingStatus.EXPIRED, BookingStatus.PAYMENT_FAILED)
    if status in (BookingStatus.HELD, BookingStatus.REQUESTED):
        booked_at = now - timedelta(minutes=3)
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                patient=patient,
                doctor=doctor,
                clinic=slot.clinic,
                service=service,
                slot=slot,
                starts_at=placement.starts_at,
                ends_at=placement.ends_at,
                blocked_from=placement.blocked_from,
                blocked_until=placement.blocked_until,
                status=status,
                price_base_minor=service.price_minor,
                price_total_minor=service.price_minor,
                currency=slot.clinic.currency,
                hold_expires_at=booked_at + timedelta(minutes=15) if is_hold else None,
                cancelled_at=booked_at + timedelta(days=1)
                if status == BookingStatus.CANCELLED
                else None,
                cancellation_reason="Clash with work" if status == BookingStatus.CANCELLED else "",
            )
    except IntegrityError:
        return None  # that time is taken (by the doctor or the patient): skip it
    Booking.objects.filter(pk=booking.pk).update(created_at=booked_at)
    events = [(EventKind.REQUESTED, booked_at, patient)]
    if is_hold:
        events.append((EventKind.HELD, booked_at, None))
    follow_up = {
        BookingStatus.EXPIRED: [(EventKind.EXPIRED, booked_at + timedelta(minutes=15), None)],
        BookingStatus.PAYMENT_FAILED: [
            (EventKind.PAYMENT_FAILED, booked_at + timedelta(minutes=4), None)
        ],
        BookingStatus.CONFIRMED: [(EventKind.CONFIRMED, booked_at, None)],
        BookingStatus.CANCELLED: [
            (EventKind.CONFIRMED, booked_at, None),
            (EventKind.CANCELLED, booked_at + timedelta(days=1), patient),
        ],
        BookingStatus.CHECKED_IN: [
            (EventKind.CONFIRMED, booked_at, None),
            (EventKind.CHECKED_IN, starts_at - timedelta(minutes=5), staff),
        ],
        BookingStatus.COMPLETED: [
            (EventKind.CONFIRMED, booked_at, None),
            (EventKind.CHECKED_IN, starts_at - timedelta(minutes=5), staff),
            (EventKind.COMPLETED, ends_at, staff),
        ],
        BookingStatus.NO_SHOW: [
            (EventKind.CONFIRMED, booked_at, None),
            (EventKind.NO_SHOW, starts_at + timedelta(minutes=15), staff),
        ],
    }
    events.extend(follow_up.get(status, []))
    BookingEvent.objects.bulk_create(
        BookingEvent(booking=booking, kind=kind, at=at, actor=actor) for kind, at, actor in events
    )
    return booking


# --- Money on past visits (for the dashboard) ---------------------------------------------------


def _money_history(report: SeedReport) -> None:
    """Payments, refunds and promo-code reductions on the past visits of clinics that take
    payment online, so the dashboard has revenue net of reductions and refunds to show.

    Written as rows, like the rest of the history: every third kept visit used WELCOME10
    (once per patient), every visit was paid at booking, and a cancelled one was refunded
    an hour after its cancellation as the clinic's policy says. When the sampled history
    has no cancelled visit at such a clinic, one is added, cancelled well before its cut-off.
    """
    now = timezone.now()
    promo = PromoCode.objects.filter(code="WELCOME10").first()
    _a_cancelled_prepaid_visit(report, now)
    past = (
        Booking.objects.filter(
            clinic__requires_prepayment=True,
            starts_at__lt=now,
            payment__isnull=True,
            status__in=(BookingStatus.COMPLETED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED),
        )
        .select_related("clinic")
        .order_by("starts_at", "pk")
    )
    with transaction.atomic():
        for index, booking in enumerate(past):
            kept = booking.status != BookingStatus.CANCELLED
            if promo and kept and index % 3 == 0:
                _use_promo(booking, promo)
            payment = Payment.objects.create(
                booking=booking,
                gateway="simulated",
                amount_minor=booking.price_total_minor,
                currency=booking.currency,
                status=PaymentStatus.SUCCEEDED,
                captured_minor=booking.price_total_minor,
                intent_id=f"demo-history-{booking.pk}",
            )
            events = [BookingEvent(booking=booking, kind=EventKind.PAID, at=booking.created_at)]
            report.count("past payments")
            refund = _refund_by_policy(booking, payment) if not kept else 0
            if refund:
                refunded_at = (booking.cancelled_at or booking.created_at) + timedelta(hours=1)
                Refund.objects.create(
                    payment=payment,
                    number=1,
                    amount_minor=refund,
                    currency=payment.currency,
                    reason="Cancelled by the patient",
                    status=RefundStatus.SUCCEEDED,
                    idempotency_key=f"demo-history-refund-{booking.pk}",
                    completed_at=refunded_at,
                )
                events.append(
                    BookingEvent(booking=booking, kind=EventKind.REFUNDED, at=refunded_at)
                )
                report.count("past refunds")
            BookingEvent.objects.bulk_create(events)


def _use_promo(booking: Booking, promo: PromoCode) -> None:
    if PromoRedemption.objects.filter(promo=promo, patient_id=booking.patient_id).exists():
        return
    off = Money(booking.price_base_minor, booking.currency).percent(promo.percent).amount_minor
    booking.price_promo_minor = off
    booking.price_total_minor = booking.price_base_minor - booking.price_discount_minor - off
    booking.save(update_fields=["price_promo_minor", "price_total_minor"])
    PromoRedemption.objects.create(
        promo=promo, booking=booking, patient_id=booking.patient_id, amount_minor=off
    )


def _refund_by_policy(booking: Booking, payment: Payment) -> int:
    clinic = booking.clinic
    cutoff = booking.starts_at - timedelta(hours=clinic.cancellation_cutoff_hours)
    in_time = booking.cancelled_at is not None and booking.cancelled_at <= cutoff
    percent = 100 if in_time else clinic.late_cancellation_refund_percent
    return Money(payment.captured_minor, payment.currency).percent(percent).amount_minor


def _a_cancelled_prepaid_visit(report: SeedReport, now: datetime) -> None:
    clinic = Clinic.objects.filter(requires_prepayment=True).order_by("pk").first()
    if (
        clinic is None
        or Booking.objects.filter(
            clinic=clinic, status=BookingStatus.CANCELLED, starts_at__lt=now
        ).exists()
    ):
        return
    doctor = Doctor.objects.filter(services__clinic=clinic).order_by("pk").first()
    patient = User.objects.filter(patient_profile__isnull=False).order_by("-pk").first()
    staff = User.objects.get(email="reception@clinix.test")
    slots = Slot.objects.filter(
        doctor=doctor, clinic=clinic, starts_at__lt=now - timedelta(days=1), bookings__isnull=True
    ).order_by("-starts_at")
    for slot in slots[:20]:
        # Random(0) books it 7 days ahead; cancelled a day later, that is before any cut-off
        # of up to 6 days.
        if _historic(doctor, slot, patient, BookingStatus.CANCELLED, random.Random(0), staff):
            report.count("past bookings")
            return


# --- Reviews ----------------------------------------------------------------------------------

_REVIEW_TEXTS = [
    (5, "Took the time to explain everything and answered all my questions."),
    (4, "Friendly and thorough. I waited about twenty minutes past my time."),
    (5, "Calm, kind and clear. I left knowing exactly what to do next."),
    (3, "The visit itself was fine, but the waiting room was very full."),
    (4, ""),
    (2, "Felt rushed; I would have liked more time to talk about the results."),
    (5, "Excellent. Booking online and the reminder made it easy."),
]


def _reviews(doctors: list[Doctor], patients: list[User], report: SeedReport) -> None:
    """Published reviews for every doctor (real completed visits, through the review
    service), a reply from the demo doctor, and a completed visit of the main demo patient
    left unreviewed, so the demo can show writing one."""
    rng = random.Random(2027)
    now = timezone.now()
    staff = User.objects.get(email="reception@clinix.test")
    written = 0
    for doctor in doctors:
        past_slots = list(
            Slot.objects.filter(
                doctor=doctor,
                starts_at__lt=now - timedelta(hours=3),
                starts_at__gt=now - timedelta(days=HISTORY_DAYS),
            )
            .select_related("clinic")
            .order_by("starts_at")
        )
        visits = []
        for slot in rng.sample(past_slots, k=min(len(past_slots), 3)):
            patient = rng.choice(patients[1:])
            booking = _historic(doctor, slot, patient, BookingStatus.COMPLETED, rng, staff)
            if booking:
                visits.append(booking)
        for booking in visits:
            rating, comment = rng.choice(_REVIEW_TEXTS)
            review_services.review_create(
                patient=booking.patient,
                booking=booking,
                rating=rating,
                manner=min(5, rating + rng.randint(0, 1)),
                waiting_time=max(1, rating - rng.randint(0, 2)),
                comment=comment,
            )
            written += 1
    anna = doctors[0]
    first = Review.objects.filter(doctor=anna).order_by("pk").first()
    if first is not None:
        review_services.doctor_reply_create(
            review=first, actor=anna.user, body="Thank you for taking the time to write this."
        )
    report.add("reviews", written)
    report.add("visits to review", _visit_to_review(anna, patients[0], rng, staff, now))


def _visit_to_review(doctor: Doctor, patient: User, rng, staff, now: datetime) -> int:
    """A completed, unreviewed visit of ``patient`` with ``doctor`` in the last few days."""
    if Booking.objects.filter(
        patient=patient, status=BookingStatus.COMPLETED, review__isnull=True
    ).exists():
        return 0
    recent = Slot.objects.filter(
        doctor=doctor,
        starts_at__lt=now - timedelta(hours=3),
        starts_at__gt=now - timedelta(days=7),
    ).order_by("-starts_at")
    for slot in recent.select_related("clinic")[:40]:
        if not Booking.objects.filter(slot=slot).exists() and _historic(
            doctor, slot, patient, BookingStatus.COMPLETED, rng, staff
        ):
            return 1
    return 0
