"""Doctor writes and the doctor lock."""

from apps.doctors.models import Doctor


def doctor_lock(doctor_id: int) -> None:
    """Take the doctor's row lock for the rest of the transaction.

    Every change to a doctor's time (booking, moving a booking, generating or blocking
    slots) takes it first, so they run one at a time per doctor. ``FOR NO KEY UPDATE``
    is enough to serialise them and, unlike ``FOR UPDATE``, does not block unrelated
    inserts that merely reference the doctor.
    """
    Doctor.objects.select_for_update(no_key=True).filter(pk=doctor_id).values_list(
        "pk", flat=True
    ).get()
