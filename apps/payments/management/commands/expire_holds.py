from django.core.management.base import BaseCommand

from apps.audit.context import system_job
from apps.bookings.services import booking_expire_holds


class Command(BaseCommand):
    help = (
        "Expire bookings held for payment whose time ran out: frees the slot, releases "
        "discounts and promo codes, cancels the payment. Idempotent; safe beside the "
        "periodic task."
    )

    def handle(self, *args, **options):
        with system_job("expire_holds"):
            expired = booking_expire_holds()
        self.stdout.write(f"Expired {expired} hold(s).")
