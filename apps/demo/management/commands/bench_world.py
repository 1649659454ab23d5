from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.demo import bench_world


class Command(BaseCommand):
    help = (
        "Build the benchmark world (bench/): clinics, doctors, slots and bookings in bulk. "
        "Only into a database whose name contains 'bench' (or with --yes), PostgreSQL only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(bench_world.SCALES), default="full")
        parser.add_argument("--clinics", type=int)
        parser.add_argument("--doctors", type=int)
        parser.add_argument("--days", type=int, help="Days covered, half past, half ahead.")
        parser.add_argument("--bookings", type=int)
        parser.add_argument("--patients", type=int)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Build into a database whose name does not say 'bench' (a test database).",
        )

    def handle(self, *args, scale: str, seed: int, yes: bool, **options):
        name = connection.settings_dict["NAME"] or ""
        if connection.vendor != "postgresql":
            raise CommandError("The bench world needs PostgreSQL (it loads rows with COPY).")
        if "bench" not in name and not yes:
            raise CommandError(
                f"Refusing to fill database {name!r}: its name does not contain 'bench'. "
                "Point DATABASE_URL at a throwaway database (or pass --yes)."
            )
        if bench_world.world_exists():
            self.stdout.write(f"A bench world is already in {name!r}: nothing to do.")
            return
        chosen = bench_world.SCALES[scale]
        overrides = {
            key: options[key]
            for key in ("clinics", "doctors", "days", "bookings", "patients")
            if options.get(key) is not None
        }
        if any(value < 1 for value in overrides.values()):
            raise CommandError("Counts must be at least 1.")
        chosen = replace(chosen, **overrides)
        if chosen.doctors < chosen.clinics:
            raise CommandError("Give every clinic a doctor: --doctors at least --clinics.")
        self.stdout.write(f"Building the bench world in {name!r}: {chosen}")
        report = bench_world.build(chosen, seed=seed, log=self.stdout.write)
        counts = ", ".join(f"{number} {what}" for what, number in report.counts.items())
        total = sum(report.seconds.values())
        self.stdout.write(self.style.SUCCESS(f"Built {counts} in {total:.1f} s."))
