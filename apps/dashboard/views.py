"""The dashboard page (full, or its panels for htmx) and the CSV export of each table.

Every request checks the viewer: anonymous people go to sign in, anyone who is neither a
platform admin nor a clinic manager gets 403 (recorded by the audit middleware). The
clinic filter only offers the viewer's clinics: another clinic's id is a field error,
the same answer as an id that does not exist.
"""

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from apps.dashboard.forms import DashboardFilterForm
from apps.dashboard.panels import TABLES, Dashboard
from apps.dashboard.permissions import can_view_dashboard, dashboard_clinics

TEMPLATE = "dashboard/index.html"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _filters(request: HttpRequest) -> DashboardFilterForm:
    if not can_view_dashboard(request.user):
        raise PermissionDenied
    return DashboardFilterForm(request.GET, clinics=dashboard_clinics(request.user))


def _dashboard(request: HttpRequest, form: DashboardFilterForm) -> Dashboard:
    return Dashboard(form.scope(), show_platform_quota=request.user.is_platform_admin)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def index(request: HtmxHttpRequest) -> HttpResponse:
    form = _filters(request)
    context = {"form": form, "tables": [], "export_query": request.GET.urlencode()}
    status = 200
    if form.is_valid():
        dashboard = _dashboard(request, form)
        context.update(dashboard=dashboard, tables=dashboard.tables(), scope=dashboard.scope)
    else:
        status = 422
    template = f"{TEMPLATE}#results" if request.htmx else TEMPLATE
    return render(request, template, context, status=status)


#: Cells a spreadsheet would run as a formula (CSV injection): prefixed with a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


@login_required
@require_GET
def export(request: HttpRequest, table: str) -> HttpResponse:
    if table not in TABLES:
        raise Http404
    form = _filters(request)
    if not form.is_valid():
        errors = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponse(
            _("Invalid filters: %(errors)s") % {"errors": errors},
            status=422,
            content_type="text/plain; charset=utf-8",
        )
    scope = form.scope()
    data = _dashboard(request, form).table(table)
    filename = f"clinix-{table}-{scope.date_from:%Y%m%d}-{scope.date_to:%Y%m%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([_csv_safe(column) for column in data.columns])
    writer.writerows([_csv_safe(cell.value) for cell in row] for row in data.rows)
    return response
