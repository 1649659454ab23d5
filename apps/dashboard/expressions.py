"""Database expressions for dashboard aggregation in each clinic's own time zone.

Clinics sit in different zones, and Django's ``Trunc(tzinfo=...)`` takes one zone per
expression. ``LocalDate`` instead reads the zone from a column (the clinic's
``timezone``), so one query dates every row on its own clinic's calendar: a visit at
00:30 in Bengaluru is on the Bengaluru day, whatever the server's zone.
"""

from django.db.models import DateField, Func


class LocalDate(Func):
    """The calendar date of a UTC timestamp column in the zone named by another column.

    PostgreSQL: ``(ts AT TIME ZONE zone)::date``. SQLite (the embedded demo) has no zone
    support; Django registers Python functions on each SQLite connection, and its
    ``django_datetime_cast_date(dt, zone, connection zone)`` takes the zone as a value,
    so a column works there too (slower, one Python call a row).
    """

    arity = 2
    output_field = DateField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="((%(expressions)s))::date",
            arg_joiner=" AT TIME ZONE ",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="django_datetime_cast_date(%(expressions)s, 'UTC')",
            **extra_context,
        )
