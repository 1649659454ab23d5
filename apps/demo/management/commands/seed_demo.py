from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.audit.context import system_job
from apps.demo import world
from apps.demo.seeding import seed


class Command(BaseCommand):
    help = "Create the demo world (clinics, doctors, schedules, slots, bookings). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (never on a real deployment: it creates known logins).",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo logins with DEBUG off. "
                "Use --force only on a throwaway database."
            )
        with system_job("seed_demo"):
            report = seed()
        if report.created:
            for what, number in sorted(report.created.items()):
                self.stdout.write(f"  created {number} {what}")
        else:
            self.stdout.write("Demo data already present: nothing to change.")
        self.stdout.write(
            self.style.SUCCESS(f"\nDemo logins (password for all: {world.DEMO_PASSWORD})")
        )
        logins = [
            ("Platform admin", "admin@clinix.test"),
            ("Clinic manager (Berlin)", "manager@clinix.test"),
            ("Receptionist (Berlin)", "reception@clinix.test"),
            ("Nurse (Berlin)", "nurse@clinix.test"),
            ("Doctor (Dr. Anna Schneider)", "doctor@clinix.test"),
            ("Patient (Maria Keller)", "patient@clinix.test"),
        ]
        for role, email in logins:
            self.stdout.write(f"  {role:<30} {email}")
