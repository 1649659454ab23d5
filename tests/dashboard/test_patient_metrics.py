from datetime import date, timedelta

import pytest

from apps.bookings.models import BookingStatus
from apps.dashboard import patient_metrics
from tests.accounts.factories import PatientFactory, UserFactory
from tests.dashboard.helpers import Place, scope_of

pytestmark = pytest.mark.django_db

DAY = date(2026, 1, 15)


def test_new_and_returning_patients_per_period():
    place = Place()
    regular, newcomer, lapsed_hold = PatientFactory(), PatientFactory(), PatientFactory()
    place.book(place.at(DAY - timedelta(days=30), 9), patient=regular)  # before the range
    place.book(place.at(DAY, 9), patient=regular)
    place.book(place.at(DAY, 10), patient=newcomer)
    place.book(place.at(DAY + timedelta(days=7), 10), patient=newcomer)  # second week: returns
    # A hold that lapsed does not make its patient known.
    place.book(place.at(DAY - timedelta(days=20), 9), patient=lapsed_hold, status="expired")
    place.book(place.at(DAY, 11), patient=lapsed_hold)

    rows = patient_metrics.new_vs_returning(
        scope_of([place.clinic], date(2026, 1, 12), date(2026, 1, 25), "week")
    )

    assert [(r.period, r.patients, r.new, r.returning) for r in rows] == [
        (date(2026, 1, 12), 3, 2, 1),
        (date(2026, 1, 19), 1, 0, 1),
    ]


def test_a_patient_known_at_another_clinic_is_new_at_this_one():
    mine, theirs = Place(), Place()
    patient = PatientFactory()
    theirs.book(theirs.at(DAY - timedelta(days=30), 9), patient=patient)
    mine.book(mine.at(DAY, 9), patient=patient)

    (row,) = patient_metrics.new_vs_returning(scope_of([mine.clinic], DAY, DAY))

    assert (row.patients, row.new) == (1, 1)


def test_demographics_count_each_patient_once_by_age_on_the_last_day_and_sex():
    place = Place()
    last = date(2026, 1, 31)
    people = [
        (date(2008, 1, 31), "female"),  # 18 exactly on the last day: 18-29
        (date(2008, 2, 1), "male"),  # 17 for one more day: 0-17
        (date(1961, 1, 31), "female"),  # 65 exactly: 65+
        (date(1990, 6, 1), "other"),  # 35: 30-44
        (None, "undisclosed"),  # no birth date: unknown
    ]
    hour = 8
    for born, sex in people:
        patient = PatientFactory(profile__date_of_birth=born, profile__sex=sex)
        for day in (DAY, DAY + timedelta(days=1)):  # twice: still one patient
            place.book(place.at(day, hour), patient=patient)
        hour += 1
    place.book(place.at(DAY, 16), patient=UserFactory())  # no profile at all
    place.book(place.at(DAY, 17), status=BookingStatus.EXPIRED)  # not a booking

    result = patient_metrics.demographics(scope_of([place.clinic], DAY, last))

    assert {c.key: c.patients for c in result.age_bands} == {
        "0-17": 1,
        "18-29": 1,
        "30-44": 1,
        "45-64": 0,
        "65+": 1,
        "unknown": 2,
    }
    assert {c.key: c.patients for c in result.sexes} == {
        "female": 2,
        "male": 1,
        "other": 1,
        "undisclosed": 2,
    }
    assert result.patients == 6
