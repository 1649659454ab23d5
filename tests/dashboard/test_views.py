import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.roles import Role
from apps.audit.models import AuditEntry
from apps.bookings.models import BookingStatus
from tests.accounts.factories import PatientFactory
from tests.clinics.factories import ClinicMembershipFactory
from tests.dashboard.helpers import Place, paid, refunded

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:index")
DAY = date(2026, 1, 15)
RANGE = {"from": "2026-01-01", "to": "2026-01-31", "granularity": "day"}


def export_url(table: str) -> str:
    return reverse("dashboard:export", args=[table])


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in (URL, export_url("bookings")):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("persona", ["patient", "receptionist", "nurse", "doctor_user"])
def test_everyone_but_admins_and_managers_is_refused(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    page = client.get(URL)
    fragment = client.get(URL, headers={"HX-Request": "true"})
    download = client.get(export_url("revenue"))

    assert (page.status_code, fragment.status_code, download.status_code) == (403, 403, 403)
    assert AuditEntry.objects.filter(action="auth.permission_denied", actor=user).count() == 3


def test_a_manager_sees_only_their_clinics_figures(client, clinic_manager, world, other_world):
    mine, theirs = Place.of(world), Place.of(other_world)
    mine.book(mine.at(DAY, 9))
    for hour in (9, 10, 11):
        theirs.book(theirs.at(DAY, hour))
    client.force_login(clinic_manager)

    response = client.get(URL, RANGE)

    assert response.status_code == 200
    kpis = dict(response.context["dashboard"].kpis())
    assert kpis["Bookings"] == "1"
    options = [c.pk for c in response.context["form"].fields["clinic"].queryset]
    assert options == [world.clinic.pk]
    assert other_world.clinic.name not in response.content.decode()


def test_a_manager_asking_for_another_clinic_gets_a_field_error_and_no_figures(
    client, clinic_manager, other_world
):
    client.force_login(clinic_manager)

    page = client.get(URL, {**RANGE, "clinic": other_world.clinic.pk})
    download = client.get(export_url("bookings"), {**RANGE, "clinic": other_world.clinic.pk})

    assert page.status_code == 422
    assert page.context["form"].errors["clinic"] == ["Choose one of your clinics."]
    assert "dashboard" not in page.context
    assert download.status_code == 422
    assert b"Choose one of your clinics." in download.content


def test_a_managers_membership_in_another_role_does_not_open_that_clinic(
    client, clinic_manager, other_world
):
    ClinicMembershipFactory(user=clinic_manager, clinic=other_world.clinic, role=Role.DOCTOR)
    client.force_login(clinic_manager)

    response = client.get(URL, {**RANGE, "clinic": other_world.clinic.pk})

    assert response.status_code == 422


def test_a_platform_admin_sees_every_clinic_and_can_pick_one(
    client, platform_admin, world, other_world
):
    client.force_login(platform_admin)

    everything = client.get(URL, RANGE)
    one = client.get(URL, {**RANGE, "clinic": other_world.clinic.pk})

    assert everything.status_code == one.status_code == 200
    assert {c.pk for c in everything.context["form"].fields["clinic"].queryset} >= {
        world.clinic.pk,
        other_world.clinic.pk,
    }
    assert list(one.context["scope"].clinics) == [other_world.clinic]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "date_to", "on or after the start date"),
        (
            {"from": "2023-01-01", "to": "2026-01-01", "granularity": "month"},
            "date_to",
            "two years",
        ),
        ({"from": "2026-01-01", "to": "2026-06-30", "granularity": "day"}, "granularity", "week"),
        ({"from": "not a date"}, "date_from", "valid date"),
        ({"granularity": "hour"}, "granularity", "valid choice"),
        ({"clinic": "99999999"}, "clinic", "one of your clinics"),
        ({"clinic": "abc"}, "clinic", "one of your clinics"),
    ],
)
def test_bad_filters_get_field_errors(client, platform_admin, params, field, message):
    client.force_login(platform_admin)

    response = client.get(URL, params, headers={"HX-Request": "true"})

    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert b'class="error-summary"' in response.content


def test_htmx_gets_the_panels_and_the_filter_fields_out_of_band(client, platform_admin):
    client.force_login(platform_admin)

    response = client.get(URL, RANGE, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>" not in body
    assert 'id="dashboard-results"' in body
    assert (
        'id="dashboard-filter-fields" class="dashboard-filters__fields" hx-swap-oob="true"' in body
    )
    assert "data-announce" in body
    assert response["Vary"].count("HX-Request") == 1


def test_the_page_draws_accessible_charts_each_with_a_table(client, platform_admin):
    place = Place()
    place.book(place.at(DAY, 9))
    client.force_login(platform_admin)

    body = client.get(URL, RANGE).content.decode()

    tables = body.count("<table")
    assert tables == 11
    assert body.count('role="img"') >= tables
    assert body.count("<caption") == tables
    assert body.count("Download CSV") == tables


def test_defaults_are_the_last_thirty_days_by_day(client, platform_admin, time_machine):
    time_machine.move_to("2026-03-10 12:00Z")
    client.force_login(platform_admin)

    scope = client.get(URL).context["scope"]

    assert (scope.date_from, scope.date_to, scope.granularity) == (
        date(2026, 2, 9),
        date(2026, 3, 10),
        "day",
    )


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_export_has_a_header_row_the_figures_and_an_attachment_name(client, platform_admin):
    place = Place(price=10000)
    booking = place.book(place.at(DAY, 9), status=BookingStatus.CANCELLED)
    refunded(paid(booking), 2500, place.at(DAY, 12))
    place.book(place.at(DAY, 10))
    client.force_login(platform_admin)

    response = client.get(
        export_url("revenue"), {**RANGE, "clinic": place.clinic.pk, "granularity": "month"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="clinix-revenue-20260101-20260131.csv"'
    )
    assert _rows(response) == [
        ["Period", "Currency", "Gross", "Discounts", "Promo codes", "Refunds", "Net"],
        ["January 2026", "EUR", "200.00", "0.00", "0.00", "25.00", "175.00"],
    ]


@pytest.mark.parametrize(
    "table",
    [
        "bookings",
        "rates",
        "revenue",
        "lead-time",
        "top-services",
        "top-doctors",
        "utilisation",
        "discount-quota",
        "patients",
        "age-bands",
        "sex",
    ],
)
def test_every_table_exports(client, platform_admin, table):
    place = Place()
    place.book(place.at(DAY, 9))
    client.force_login(platform_admin)

    response = client.get(export_url(table), RANGE)

    assert response.status_code == 200
    rows = _rows(response)
    assert len(rows) >= 2
    assert len({len(row) for row in rows}) == 1  # every row as wide as the header


def test_an_unknown_table_is_not_found(client, platform_admin):
    client.force_login(platform_admin)
    assert client.get(export_url("passwords")).status_code == 404


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(client, platform_admin):
    place = Place()
    place.service.name = '=HYPERLINK("http://evil.test","click")'
    place.service.save()
    place.book(place.at(DAY, 9))
    client.force_login(platform_admin)

    rows = _rows(client.get(export_url("top-services"), RANGE))

    assert rows[1][1] == '\'=HYPERLINK("http://evil.test","click")'


def _page_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_page_query_count_is_bounded_and_independent_of_the_data(
    client, platform_admin, django_assert_max_num_queries
):
    client.force_login(platform_admin)
    places = [Place(), Place("Asia/Kolkata", "INR")]
    for place in places:
        booking = place.book(place.at(DAY, 9), status=BookingStatus.CANCELLED)
        refunded(paid(booking), 100, place.at(DAY, 10))
    params = {**RANGE, "granularity": "week"}
    small = _page_queries(client, params)

    for place in [*places, Place("America/New_York", "USD")]:
        for day in range(1, 28):
            for hour in (9, 10, 11):
                place.book(place.at(date(2026, 1, day), hour), patient=PatientFactory())
    with django_assert_max_num_queries(20):
        response = client.get(URL, params)
    large = _page_queries(client, params)

    assert response.status_code == 200
    assert large == small


def test_the_htmx_fragment_and_exports_are_bounded_too(
    client, platform_admin, django_assert_max_num_queries
):
    place = Place()
    for hour in range(8, 18):
        place.book(place.at(DAY, hour), patient=PatientFactory())
    client.force_login(platform_admin)

    with django_assert_max_num_queries(20):
        client.get(URL, RANGE, headers={"HX-Request": "true"})
    with django_assert_max_num_queries(6):
        client.get(export_url("utilisation"), RANGE)


def test_links_show_only_for_admins_and_managers(
    client, platform_admin, clinic_manager, receptionist
):
    dashboard_link = f'href="{URL}"'
    seen = {}
    for user in (platform_admin, clinic_manager, receptionist):
        client.force_login(user)
        seen[user.email] = dashboard_link in client.get(reverse("portal:home")).content.decode()
    assert seen == {
        platform_admin.email: True,
        clinic_manager.email: True,
        receptionist.email: False,
    }


def test_the_django_admin_links_to_the_dashboard(client, platform_admin, receptionist):
    platform_admin.is_staff = True
    platform_admin.save()
    client.force_login(platform_admin)
    assert f'href="{URL}"' in client.get(reverse("admin:index")).content.decode()
    client.force_login(receptionist)
    assert f'href="{URL}"' not in client.get(reverse("admin:index")).content.decode()


def test_the_days_in_the_range_before_the_first_booking_are_shown_as_zero(client, platform_admin):
    client.force_login(platform_admin)
    response = client.get(URL, {"from": "2026-01-01", "to": "2026-01-03"})
    rows = response.context["dashboard"].bookings
    assert [(r.period, r.bookings) for r in rows] == [
        (date(2026, 1, 1) + timedelta(days=i), 0) for i in range(3)
    ]
