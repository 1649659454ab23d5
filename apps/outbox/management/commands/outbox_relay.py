from django.core.management.base import BaseCommand

from apps.audit.context import system_job
from apps.outbox.services import outbox_relay


class Command(BaseCommand):
    help = "Publish unsent outbox events to the workers. Safe beside the periodic relay."

    def handle(self, *args, **options):
        with system_job("outbox_relay"):
            relayed = outbox_relay()
        self.stdout.write(f"Relayed {relayed} event(s).")
