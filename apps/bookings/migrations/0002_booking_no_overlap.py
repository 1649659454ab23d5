from django.db import migrations

from apps.core.db import postgres_only

# The statuses of OCCUPYING_STATUSES when this migration was written; a test compares
# the live constraint with the code, so a change there needs a new migration here.
OCCUPYING = "('requested', 'held', 'confirmed', 'checked_in', 'completed', 'no_show')"

# The database backstop of exclusive booking: no two occupying bookings of one doctor
# overlap (service buffers included), nor two of one patient (the visits themselves).
FORWARD = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE bookings_booking ADD CONSTRAINT booking_no_doctor_overlap
    EXCLUDE USING gist (doctor_id WITH =, tstzrange(blocked_from, blocked_until, '[)') WITH &&)
    WHERE (status IN {OCCUPYING});
ALTER TABLE bookings_booking ADD CONSTRAINT booking_no_patient_overlap
    EXCLUDE USING gist (patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status IN {OCCUPYING});
"""
BACKWARD = """
ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS booking_no_doctor_overlap;
ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS booking_no_patient_overlap;
"""


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]
    operations = [postgres_only(FORWARD, BACKWARD)]
