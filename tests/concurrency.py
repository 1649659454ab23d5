"""Races with real threads, each on its own database connection, released together."""

import threading
from collections import Counter
from dataclasses import dataclass

from django.db import connection, connections

from apps.core.errors import DomainError


@dataclass
class Outcome:
    value: object = None
    domain_error: DomainError | None = None
    unexpected: BaseException | None = None


def race(callables) -> list[Outcome]:
    """Run each callable in its own thread, all released at once. Returns their outcomes."""
    barrier = threading.Barrier(len(callables))
    outcomes = [Outcome() for _ in callables]

    def run(index: int, fn) -> None:
        try:
            connection.ensure_connection()  # connected before the start signal
            barrier.wait(timeout=30)
            outcomes[index].value = fn()
        except DomainError as error:
            outcomes[index].domain_error = error
        except BaseException as error:  # noqa: BLE001 - the test reports anything else
            outcomes[index].unexpected = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return outcomes


def summary(outcomes: list[Outcome]) -> Counter:
    """{"won": n, "<DomainError class>": m, "unexpected …": k}."""
    return Counter(
        "won"
        if o.value is not None
        else type(o.domain_error).__name__
        if o.domain_error
        else f"unexpected {o.unexpected!r}"
        for o in outcomes
    )
