"""Throughput: booking POSTs on distinct free slots at 1, 4, 16 and 64 concurrent clients,
then cancel-and-rebook churn at the same levels, on a live gunicorn.

    python -m bench.throughput [--levels 1,4,16,64] [--seconds 6] [--max-requests 4000]

Each client is its own patient booking its own doctor's free slots one after another
(closed loop: the next request leaves when the answer came), so the figures measure the
booking path, not a queue on one doctor's lock (bench/contention.py measures that). The
full production path runs: token check, throttles, idempotency-free POST, doctor and
patient locks, validation chain, price, booking row, timeline, outbox event, audit entry.
A level stops after ``--seconds`` or ``--max-requests``, whichever comes first.
"""

from bench.common import parser, percentiles, setup_django, show, status_counts, write
from bench.http import Answer, Client, closed_loop
from bench.server import Server

BOOK = "/api/v1/bookings/"


def run(
    server: Server,
    *,
    levels: tuple[int, ...] = (1, 4, 16, 64),
    seconds: float = 6.0,
    max_requests: int = 4000,
    warm_up_seconds: float = 2.0,
) -> dict:
    from bench import actors

    most = max(levels)
    actors.forget_client_bookings()  # earlier runs' bookings: keep the world's size
    people = actors.make_actors(most)
    doctors = actors.bench_doctor_ids()[:most]
    services = actors.services_by_clinic()
    per_doctor = min(700, max(40, max_requests // min(levels) + 10))
    queues = actors.free_slots(doctors, per_doctor)
    queues = {d: [run[0] for run in slots] for d, slots in queues.items()}
    if any(len(q) < 10 for q in queues.values()):
        raise RuntimeError("Too few free slots left: rebuild the bench world.")
    # Each client's slot for the churn, set aside before the booking levels use them up.
    churn_slots = [queues[doctors[index]].pop() for index in range(most)]

    def book(index: int, client: Client) -> list[Answer] | None:
        queue = queues[doctors[index]]
        if not queue:
            return None
        slot_id, _doctor, clinic_id, _start, _end = queue.pop(0)
        body = {"slot": slot_id, "service": services[clinic_id][20].pk}
        return [client.post(BOOK, body, "book")]

    def clients(count: int) -> list[Client]:
        return [Client(server.port, people[i].token) for i in range(count)]

    # Not measured: every worker thread opens its database connection and loads its code.
    closed_loop(clients(most), book, duration=warm_up_seconds, max_requests=max_requests)

    booking = []
    for level in levels:
        result = closed_loop(clients(level), book, duration=seconds, max_requests=max_requests)
        booking.append(_level(level, result.answers, result.seconds))

    # Churn: each client holds one booking, cancels it and books the same slot again.
    held: dict[int, tuple[str, dict]] = {}
    for index in range(most):
        slot_id, _doctor, clinic_id, _start, _end = churn_slots[index]
        body = {"slot": slot_id, "service": services[clinic_id][20].pk}
        answer = Client(server.port, people[index].token).post(BOOK, body)
        if answer.status != 201:
            raise RuntimeError(f"Could not book for churn: {answer.status} {answer.body}")
        held[index] = (answer.body["reference"], body)

    def churn(index: int, client: Client) -> list[Answer]:
        reference, body = held[index]
        cancel = client.post(f"{BOOK}{reference}/cancel/", {"reason": "bench"}, "cancel")
        again = client.post(BOOK, body, "book")
        if again.status == 201:
            held[index] = (again.body["reference"], body)
        return [cancel, again]

    churning = []
    for level in levels:
        result = closed_loop(clients(level), churn, duration=seconds, max_requests=max_requests)
        churning.append(_level(level, result.answers, result.seconds, churn=True))

    return {
        "server": {"workers": server.workers, "threads": server.threads},
        "seconds_per_level": seconds,
        "max_requests_per_level": max_requests,
        "booking": booking,
        "churn": churning,
        "double_bookings_in_db": actors.double_bookings(doctors),
    }


def _level(clients: int, answers: list[Answer], seconds: float, churn: bool = False) -> dict:
    booked = [a for a in answers if a.kind == "book"]
    figures = {
        "clients": clients,
        "requests": len(answers),
        "seconds": round(seconds, 2),
        "statuses": status_counts(a.status for a in answers),
        "bookings_per_s": round(sum(a.status == 201 for a in booked) / seconds, 1),
        "latency": percentiles([a.seconds for a in answers]),
    }
    if churn:
        cancels = [a for a in answers if a.kind == "cancel"]
        figures["cancel_and_rebook_per_s"] = round(min(len(cancels), len(booked)) / seconds, 1)
        figures["cancel_latency"] = percentiles([a.seconds for a in cancels])
        figures["book_latency"] = percentiles([a.seconds for a in booked])
    return figures


def main() -> None:
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--levels", default="1,4,16,64")
    args.add_argument("--seconds", type=float, default=6.0)
    args.add_argument("--max-requests", type=int, default=4000)
    options = args.parse_args()
    setup_django()
    from django.db import connection

    from bench.common import ROOT
    from bench.server import database_url, gunicorn

    levels = tuple(int(n) for n in options.levels.split(","))
    log = ROOT / "var/bench/gunicorn.log"
    with gunicorn(database_url(connection.settings_dict), log=log) as server:
        results = run(
            server, levels=levels, seconds=options.seconds, max_requests=options.max_requests
        )
    for level in results["booking"]:
        show(f"Booking, {level['clients']} clients", level)
    for level in results["churn"]:
        show(f"Cancel and rebook, {level['clients']} clients", level)
    print(f"\nDouble bookings in the database: {results['double_bookings_in_db']}")
    write(options.json, {"throughput": results})


if __name__ == "__main__":
    main()
