"""Contention: N clients, already connected, race for ONE slot on a live gunicorn.

    python -m bench.contention [--clients 100] [--rounds 3] [--json out.json]

Each round takes a fresh free slot of one doctor. Prints attempts, winners (from the
answers and from the database: must be 1), losers by status code and latency percentiles.
The overlapping variant races for visits of 60, 40 and 20 minutes starting on adjacent
slots of one doctor: every one of them covers the same 20 minutes, so again exactly one
may win, whichever slot it started on.
"""

from django.db.models import Q

from bench.common import parser, percentiles, setup_django, show, status_counts, write
from bench.http import Client, race
from bench.server import Server

BOOK = "/api/v1/bookings/"


def run(server: Server, *, clients: int = 100, rounds: int = 3) -> dict:
    from apps.bookings.models import Booking
    from bench import actors

    actors.forget_client_bookings()  # earlier runs' bookings: keep the world's size
    people = actors.make_actors(clients)
    doctors = actors.bench_doctor_ids()
    services = actors.services_by_clinic()
    # Doctors from the end of the list: throughput books those from the start.
    one_slot_doctor, overlap_doctor = doctors[-1], doctors[-2]
    # One round more than measured: the first warms the server up (imports, connections).
    singles = actors.free_slots([one_slot_doctor], rounds + 1)[one_slot_doctor]
    runs = actors.free_slots([overlap_doctor], rounds, runs_of=4)[overlap_doctor]
    if len(singles) < rounds + 1 or len(runs) < rounds:
        raise RuntimeError("Not enough free slots left for the race: rebuild the bench world.")

    def clients_for() -> list[Client]:
        return [Client(server.port, person.token) for person in people]

    one_slot: list = []
    for (slot,) in singles:
        slot_id, _doctor, clinic_id, _start, _end = slot
        service = services[clinic_id][20]
        body = {"slot": slot_id, "service": service.pk}
        answers = race(clients_for(), [(BOOK, body, "")] * clients)
        in_db = Booking.objects.occupying().filter(slot_id=slot_id).count()
        one_slot.append((answers, in_db))
    warm_up = one_slot.pop(0)

    overlap: list = []
    for run_slots in runs:
        first, second, third, fourth = run_slots
        clinic_id = first[2]
        # (slot, minutes): each covers [third.start, third.end).
        variants = [(first, 60), (second, 40), (third, 20), (second, 60)]
        requests = []
        for i in range(clients):
            slot, minutes = variants[i % len(variants)]
            body = {"slot": slot[0], "service": services[clinic_id][minutes].pk}
            requests.append((BOOK, body, f"{minutes} min"))
        answers = race(clients_for(), requests)
        in_db = (
            Booking.objects.occupying()
            .filter(doctor_id=overlap_doctor)
            .filter(Q(blocked_from__lt=fourth[4]) & Q(blocked_until__gt=first[3]))
            .count()
        )
        overlap.append((answers, in_db))

    return {
        "server": {"workers": server.workers, "threads": server.threads},
        "warm_up_round": _summary([warm_up], clients),
        "one_slot": _summary(one_slot, clients),
        "overlapping": _summary(overlap, clients),
    }


def _summary(rounds: list, clients: int) -> dict:
    answers = [a for round_answers, _ in rounds for a in round_answers]
    return {
        "clients": clients,
        "rounds": len(rounds),
        "attempts": len(answers),
        "winners_per_round": [sum(a.status == 201 for a in r) for r, _ in rounds],
        "winners_in_db_per_round": [in_db for _, in_db in rounds],
        "statuses": status_counts(a.status for a in answers),
        "loser_problem_types": sorted(
            {a.body.get("type", "?") for a in answers if a.status != 201}
        ),
        "latency": percentiles([a.seconds for a in answers]),
        "winner_kinds": sorted(a.kind for r, _ in rounds for a in r if a.status == 201),
    }


def main() -> None:
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--clients", type=int, default=100)
    args.add_argument("--rounds", type=int, default=3)
    options = args.parse_args()
    setup_django()
    from django.db import connection

    from bench.common import ROOT
    from bench.server import database_url, gunicorn

    log = ROOT / "var/bench/gunicorn.log"
    with gunicorn(database_url(connection.settings_dict), log=log) as server:
        results = run(server, clients=options.clients, rounds=options.rounds)
    show(f"Race for one slot ({options.clients} clients)", results["one_slot"])
    show(f"Race for overlapping visits ({options.clients} clients)", results["overlapping"])
    write(options.json, {"contention": results})


if __name__ == "__main__":
    main()
