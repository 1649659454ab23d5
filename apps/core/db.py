"""Database helpers shared by apps."""

from django.db import connection, migrations


def postgres_only(sql: str, reverse_sql: str) -> migrations.RunPython:
    """A migration step that runs ``sql`` on PostgreSQL and does nothing elsewhere.

    Exclusion constraints and triggers back invariants that the embedded SQLite default
    enforces in the services alone (SQLite also runs one writer at a time).
    """

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(reverse_sql)

    return migrations.RunPython(forward, backward, elidable=False)


def set_lock_timeout(milliseconds: int) -> None:
    """Wait at most this long for any lock, until the end of the current transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # set_config(..., true) is SET LOCAL with a bindable value.
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{milliseconds}ms"])
