"""HTTP load from threads, on connections opened before the clock starts.

``http.client`` with keep-alive: each client owns one connection, connected (TCP handshake
done) before the start signal, so a race really starts together and throughput does not
count connection set-up.
"""

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Answer:
    status: int
    body: dict
    seconds: float
    kind: str = ""


class Client:
    """One keep-alive connection to 127.0.0.1 and one API token."""

    def __init__(self, port: int, token: str, timeout: float = 30):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def connect(self) -> None:
        self.conn.connect()

    def post(self, path: str, body: dict, kind: str = "") -> Answer:
        payload = json.dumps(body)
        headers = {"Content-Type": "application/json", "Authorization": f"Token {self.token}"}
        started = time.perf_counter()
        try:
            self.conn.request("POST", path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            # The server closed a kept-alive connection: reconnect once, then give up.
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.conn.request("POST", path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        seconds = time.perf_counter() - started
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {"raw": raw[:200].decode(errors="replace")}
        return Answer(status=response.status, body=data, seconds=seconds, kind=kind)

    def close(self) -> None:
        self.conn.close()


def race(clients: list[Client], requests: list[tuple[str, dict, str]]) -> list[Answer]:
    """Each client sends its (path, body, kind) at the same moment; all answers."""
    for client in clients:
        client.connect()
    barrier = threading.Barrier(len(clients))
    answers: list[Answer | BaseException | None] = [None] * len(clients)

    def send(index: int) -> None:
        path, body, kind = requests[index]
        try:
            barrier.wait(timeout=30)
            answers[index] = clients[index].post(path, body, kind)
        except BaseException as error:  # noqa: BLE001 - reported with the others below
            answers[index] = error

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for client in clients:
        client.close()
    failures = [a for a in answers if not isinstance(a, Answer)]
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed: {failures[:3]}")
    return answers  # type: ignore[return-value]


@dataclass
class LoopResult:
    answers: list[Answer] = field(default_factory=list)
    seconds: float = 0.0


def closed_loop(
    clients: list[Client],
    step: Callable[[int, Client], list[Answer] | None],
    *,
    duration: float,
    max_requests: int,
) -> LoopResult:
    """Every client calls ``step`` again and again (one or more requests each time) until
    ``duration`` has passed, ``max_requests`` were sent in all, or its ``step`` returns
    None (out of work). Clients connect first and start together."""
    for client in clients:
        client.connect()
    barrier = threading.Barrier(len(clients) + 1)
    lock = threading.Lock()
    result = LoopResult()
    sent = [0]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait(timeout=30)
        deadline = time.perf_counter() + duration
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if sent[0] >= max_requests:
                        return
                answers = step(index, clients[index])
                if answers is None:
                    return
                with lock:
                    result.answers.extend(answers)
                    sent[0] += len(answers)
        except BaseException as error:  # noqa: BLE001 - raised in the caller's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=30)
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=duration + 120)
    result.seconds = time.perf_counter() - started
    for client in clients:
        client.close()
    if errors:
        raise RuntimeError(f"{len(errors)} clients failed: {errors[:3]}")
    return result
