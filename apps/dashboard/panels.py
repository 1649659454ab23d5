"""The dashboard's tables (each with its chart): the same rows feed the page and the CSV.

``Dashboard`` computes each figure at most once per request (a page shows the bookings
rows in two panels); a CSV export asks for one table and runs only its queries.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.core.money import Money
from apps.dashboard import bookings_metrics, charts, patient_metrics, revenue_metrics
from apps.dashboard.scope import Scope


@dataclass(frozen=True)
class Cell:
    value: object  # for the CSV: int, Decimal, str, None
    text: str  # for the page, formatted for the reader's language

    @classmethod
    def number(cls, value: int) -> "Cell":
        return cls(value, number_format(value, force_grouping=True))

    @classmethod
    def rate(cls, value: float | None) -> "Cell":
        if value is None:
            return cls(None, "–")
        return cls(round(value, 4), f"{number_format(value * 100, 1)} %")

    @classmethod
    def money(cls, minor: int, currency: str) -> "Cell":
        money = Money(minor, currency)
        return cls(money.amount, str(money))

    @classmethod
    def text_of(cls, value: str) -> "Cell":
        return cls(value, value)


@dataclass
class Table:
    slug: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    chart: SafeString | None = None
    charts: list[SafeString] = field(default_factory=list)
    note: str = ""


class Dashboard:
    def __init__(self, scope: Scope, *, show_platform_quota: bool):
        self.scope = scope
        self.show_platform_quota = show_platform_quota

    @cached_property
    def bookings(self):
        return bookings_metrics.bookings_over_time(self.scope)

    @cached_property
    def totals(self):
        return bookings_metrics.totals(self.bookings)

    @cached_property
    def revenue(self):
        return revenue_metrics.revenue_over_time(self.scope)

    @cached_property
    def revenue_totals(self):
        return revenue_metrics.revenue_totals(self.revenue)

    @cached_property
    def lead_time(self):
        return bookings_metrics.lead_time(self.scope)

    @cached_property
    def patients(self):
        return patient_metrics.new_vs_returning(self.scope)

    @cached_property
    def demographics(self):
        return patient_metrics.demographics(self.scope)

    @property
    def new_patients(self) -> int:
        return sum(row.new for row in self.patients)

    def kpis(self) -> list[tuple[str, str]]:
        """The headline figures: (label, formatted value)."""
        totals = self.totals
        figures = [
            (_("Bookings"), Cell.number(totals.bookings).text),
            (_("Cancellation rate"), Cell.rate(totals.cancellation_rate).text),
            (_("No-show rate"), Cell.rate(totals.no_show_rate).text),
            (_("Average lead time"), _duration_text(self.lead_time.average)),
            (_("New patients"), Cell.number(self.new_patients).text),
        ]
        figures += [
            (
                _("Net revenue (%(currency)s)") % {"currency": total.currency},
                Cell.money(total.net_minor, total.currency).text,
            )
            for total in self.revenue_totals
        ]
        return figures

    def table(self, slug: str) -> Table:
        return TABLES[slug](self)

    def tables(self) -> list[Table]:
        return [builder(self) for builder in TABLES.values()]


def _labels(d: Dashboard, rows) -> list[str]:
    """Short period names for chart axes (the tables carry the long ones)."""
    return [d.scope.period_short_label(row.period) for row in rows]


def bookings_table(d: Dashboard) -> Table:
    rows = d.bookings
    total = d.totals.bookings
    return Table(
        slug="bookings",
        title=_("Bookings over time"),
        columns=[
            _("Period"),
            _("Bookings"),
            _("Attended"),
            _("Cancelled"),
            _("No-shows"),
            _("Running total"),
        ],
        rows=[
            [
                Cell.text_of(r.label),
                Cell.number(r.bookings),
                Cell.number(r.attended),
                Cell.number(r.cancelled),
                Cell.number(r.no_shows),
                Cell.number(r.running_total),
            ]
            for r in rows
        ],
        chart=charts.column_chart(
            title=_("Bookings over time"),
            desc=ngettext(
                "%(count)s booking from %(first)s to %(last)s, by period.",
                "%(count)s bookings from %(first)s to %(last)s, by period.",
                total,
            )
            % {"count": total, "first": rows[0].label, "last": rows[-1].label},
            labels=_labels(d, rows),
            values=[r.bookings for r in rows],
            value_label=_("Bookings"),
        ),
    )


def rates_table(d: Dashboard) -> Table:
    rows = d.bookings
    totals = d.totals
    return Table(
        slug="rates",
        title=_("Cancellation and no-show rates"),
        columns=[_("Period"), _("Cancellation rate"), _("No-show rate")],
        rows=[
            [Cell.text_of(r.label), Cell.rate(r.cancellation_rate), Cell.rate(r.no_show_rate)]
            for r in rows
        ],
        chart=charts.line_chart(
            title=_("Cancellation and no-show rates"),
            desc=_(
                "Over the whole range: %(cancel)s of bookings cancelled, %(no_show)s of due "
                "visits missed."
            )
            % {
                "cancel": Cell.rate(totals.cancellation_rate).text,
                "no_show": Cell.rate(totals.no_show_rate).text,
            },
            labels=_labels(d, rows),
            series=[
                charts.Series(_("Cancellation rate"), [_pct(r.cancellation_rate) for r in rows]),
                charts.Series(_("No-show rate"), [_pct(r.no_show_rate) for r in rows]),
            ],
            value_label=_("Per cent"),
            top=100,
        ),
        note=_(
            "Cancellation rate: cancelled bookings among all bookings. No-show rate: "
            "no-shows among visits that came due (attended or missed)."
        ),
    )


def _pct(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def revenue_table(d: Dashboard) -> Table:
    rows = d.revenue
    revenue_charts = []
    for total in d.revenue_totals:
        mine = [r for r in rows if r.currency == total.currency]
        revenue_charts.append(
            charts.line_chart(
                title=_("Revenue in %(currency)s") % {"currency": total.currency},
                desc=_("Gross %(gross)s, net %(net)s after discounts and refunds.")
                % {
                    "gross": Money(total.gross_minor, total.currency),
                    "net": Money(total.net_minor, total.currency),
                },
                labels=_labels(d, mine),
                series=[
                    charts.Series(
                        _("Gross"), [Money(r.gross_minor, r.currency).amount for r in mine]
                    ),
                    charts.Series(_("Net"), [Money(r.net_minor, r.currency).amount for r in mine]),
                ],
                value_label=total.currency,
            )
        )
    return Table(
        slug="revenue",
        title=_("Revenue"),
        columns=[
            _("Period"),
            _("Currency"),
            _("Gross"),
            _("Discounts"),
            _("Promo codes"),
            _("Refunds"),
            _("Net"),
        ],
        rows=[
            [
                Cell.text_of(r.label),
                Cell.text_of(r.currency),
                Cell.money(r.gross_minor, r.currency),
                Cell.money(r.discount_minor, r.currency),
                Cell.money(r.promo_minor, r.currency),
                Cell.money(r.refunds_minor, r.currency),
                Cell.money(r.net_minor, r.currency),
            ]
            for r in rows
        ],
        charts=revenue_charts,
        note=_("Each currency on its own: amounts in different currencies are never added."),
    )


def _duration_text(value: timedelta | None) -> str:
    if value is None:
        return "–"
    days = value.total_seconds() / 86400
    return _("%(days)s days") % {"days": number_format(days, 1)}


def lead_time_table(d: Dashboard) -> Table:
    lead = d.lead_time
    return Table(
        slug="lead-time",
        title=_("Lead time"),
        columns=[_("Booked ahead"), _("Bookings")],
        rows=[[Cell.text_of(b.label), Cell.number(b.bookings)] for b in lead.buckets],
        chart=charts.column_chart(
            title=_("How far ahead patients book"),
            desc=_("Average lead time: %(average)s.") % {"average": _duration_text(lead.average)},
            labels=[b.label for b in lead.buckets],
            values=[b.bookings for b in lead.buckets],
            value_label=_("Bookings"),
        ),
        note=_("Average: %(average)s.") % {"average": _duration_text(lead.average)},
    )


def top_services_table(d: Dashboard) -> Table:
    rows = bookings_metrics.top_services(d.scope)
    return Table(
        slug="top-services",
        title=_("Top services"),
        columns=[
            _("Rank"),
            _("Service"),
            _("Clinic"),
            _("Bookings"),
            _("Attended"),
            _("Revenue"),
            _("Currency"),
        ],
        rows=[
            [
                Cell.number(r.rank),
                Cell.text_of(r.service),
                Cell.text_of(r.clinic),
                Cell.number(r.bookings),
                Cell.number(r.attended),
                Cell.money(r.revenue_minor, r.currency),
                Cell.text_of(r.currency),
            ]
            for r in rows
        ],
        chart=charts.bar_chart(
            title=_("Top services by bookings"),
            desc=_list_desc([(f"{r.service} ({r.clinic})", r.bookings) for r in rows]),
            labels=[r.service for r in rows],
            values=[r.bookings for r in rows],
        ),
    )


def top_doctors_table(d: Dashboard) -> Table:
    rows = bookings_metrics.top_doctors(d.scope)
    return Table(
        slug="top-doctors",
        title=_("Top doctors"),
        columns=[_("Rank"), _("Doctor"), _("Bookings"), _("Attended"), _("No-shows")],
        rows=[
            [
                Cell.number(r.rank),
                Cell.text_of(r.doctor),
                Cell.number(r.bookings),
                Cell.number(r.attended),
                Cell.number(r.no_shows),
            ]
            for r in rows
        ],
        chart=charts.bar_chart(
            title=_("Top doctors by bookings"),
            desc=_list_desc([(r.doctor, r.bookings) for r in rows]),
            labels=[r.doctor for r in rows],
            values=[r.bookings for r in rows],
        ),
    )


def utilisation_table(d: Dashboard) -> Table:
    rows = bookings_metrics.doctor_utilisation(d.scope)
    return Table(
        slug="utilisation",
        title=_("Doctor utilisation"),
        columns=[
            _("Doctor"),
            _("Clinic"),
            _("Offered minutes"),
            _("Booked minutes"),
            _("Utilisation"),
        ],
        rows=[
            [
                Cell.text_of(r.doctor),
                Cell.text_of(r.clinic),
                Cell.number(r.offered_minutes),
                Cell.number(r.booked_minutes),
                Cell.rate(r.rate),
            ]
            for r in rows
        ],
        chart=charts.bar_chart(
            title=_("Doctor utilisation"),
            desc=_list_desc([(r.doctor, Cell.rate(r.rate).text) for r in rows]),
            labels=[r.doctor for r in rows],
            values=[_pct(r.rate) or 0 for r in rows],
            format_value=lambda v: f"{number_format(v, 1)} %",
            top=max([100, *(_pct(r.rate) or 0 for r in rows)]),
        ),
        note=_("Booked minutes of visits against minutes of open slots on the same days."),
    )


def discount_quota_table(d: Dashboard) -> Table:
    rows = revenue_metrics.discount_quota_usage(d.scope, show_platform=d.show_platform_quota)
    columns = [
        _("Quota day or period"),
        _("Discounts given"),
        _("Birthday"),
        _("Price threshold"),
        _("Released"),
    ]
    if d.show_platform_quota:
        columns += [_("Platform discounts"), _("Platform quota"), _("Quota used")]
    table_rows = []
    for r in rows:
        cells = [
            Cell.text_of(r.label),
            Cell.number(r.discounts),
            Cell.number(r.birthday),
            Cell.number(r.threshold),
            Cell.number(r.released),
        ]
        if d.show_platform_quota:
            cells += [
                Cell.number(r.platform_used),
                Cell.number(r.platform_quota),
                Cell.rate(r.platform_rate),
            ]
        table_rows.append(cells)
    given = sum(r.discounts for r in rows)
    return Table(
        slug="discount-quota",
        title=_("Discount quota"),
        columns=columns,
        rows=table_rows,
        chart=charts.column_chart(
            title=_("Discounts given from the daily quota"),
            desc=ngettext(
                "%(count)s discount given in the range.",
                "%(count)s discounts given in the range.",
                given,
            )
            % {"count": given},
            labels=_labels(d, rows),
            values=[r.discounts for r in rows],
            value_label=_("Discounts"),
        ),
        note=_("Quota days run midnight to midnight in the discount policy's time zone."),
    )


def patients_table(d: Dashboard) -> Table:
    rows = d.patients
    return Table(
        slug="patients",
        title=_("New and returning patients"),
        columns=[_("Period"), _("Patients"), _("New"), _("Returning")],
        rows=[
            [
                Cell.text_of(r.label),
                Cell.number(r.patients),
                Cell.number(r.new),
                Cell.number(r.returning),
            ]
            for r in rows
        ],
        chart=charts.line_chart(
            title=_("New and returning patients"),
            desc=_("%(new)s new patients in the range.") % {"new": d.new_patients},
            labels=_labels(d, rows),
            series=[
                charts.Series(_("New"), [r.new for r in rows]),
                charts.Series(_("Returning"), [r.returning for r in rows]),
            ],
            value_label=_("Patients"),
        ),
        note=_("New: first booking ever at these clinics falls in the period."),
    )


def age_table(d: Dashboard) -> Table:
    cells = d.demographics.age_bands
    return Table(
        slug="age-bands",
        title=_("Patients by age"),
        columns=[_("Age band"), _("Patients")],
        rows=[[Cell.text_of(c.label), Cell.number(c.patients)] for c in cells],
        chart=charts.column_chart(
            title=_("Patients by age"),
            desc=_list_desc([(c.label, c.patients) for c in cells]),
            labels=[c.label for c in cells],
            values=[c.patients for c in cells],
            value_label=_("Patients"),
        ),
        note=_("Age on the last day of the range; each patient counted once."),
    )


def sex_table(d: Dashboard) -> Table:
    cells = d.demographics.sexes
    return Table(
        slug="sex",
        title=_("Patients by sex"),
        columns=[_("Sex"), _("Patients")],
        rows=[[Cell.text_of(c.label), Cell.number(c.patients)] for c in cells],
        chart=charts.bar_chart(
            title=_("Patients by sex"),
            desc=_list_desc([(c.label, c.patients) for c in cells]),
            labels=[c.label for c in cells],
            values=[c.patients for c in cells],
        ),
    )


def _list_desc(items) -> str:
    if not items:
        return _("No data in this range.")
    return "; ".join(f"{label}: {value}" for label, value in items) + "."


TABLES: dict[str, Callable[[Dashboard], Table]] = {
    "bookings": bookings_table,
    "rates": rates_table,
    "revenue": revenue_table,
    "lead-time": lead_time_table,
    "top-services": top_services_table,
    "top-doctors": top_doctors_table,
    "utilisation": utilisation_table,
    "discount-quota": discount_quota_table,
    "patients": patients_table,
    "age-bands": age_table,
    "sex": sex_table,
}
