from django.db import migrations

from apps.core.db import postgres_only

# One doctor's slots never overlap, whatever writes them.
FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE timeslots_slot ADD CONSTRAINT slot_no_doctor_overlap
    EXCLUDE USING gist (doctor_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&);
"""
BACKWARD = "ALTER TABLE timeslots_slot DROP CONSTRAINT IF EXISTS slot_no_doctor_overlap;"


class Migration(migrations.Migration):
    dependencies = [("timeslots", "0001_initial")]
    operations = [postgres_only(FORWARD, BACKWARD)]
