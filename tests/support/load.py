"""Many reporters at once against the local host (issue 6, part 5): the engine shared by
tests/test_load.py (a run that fits the suite's budget) and bench/bench_load.py (1,000
reports from 50 clients, with the latency distribution).

Each submission is what a reporter's browser sends: a receipt token of its own, and a report
sealed to the keyring whose plaintext carries a canary only that submission knows. The
clients are threads, each with one keep-alive connection (http.client), taking submissions
from a shared queue until none is left; all start together. Only 127.0.0.1 is ever
contacted, and the number of requests is fixed in advance.
"""

from __future__ import annotations

import base64
import http.client
import json
import queue
import secrets
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from functions import mailbox_token
from functions.envelope import canonical_json
from tests.support import reporter
from wbs.cache import Cache
from wbs.crypto import Identity, Recipient, seal
from wbs.reports import Reader, parse_stored

HOST = "127.0.0.1"
TIMEOUT = 60.0  # seconds a client waits for one answer


@dataclass(frozen=True)
class Submission:
    token: bytes
    id: str
    canary: str
    body: bytes  # the envelope, as the page sends it


def submissions(count: int, keyring: list[bytes]) -> list[Submission]:
    """``count`` reports, each under a fresh receipt token, sealed to ``keyring``: the public
    keys of the desks and the recovery key."""
    made = []
    for n in range(count):
        token = secrets.token_bytes(mailbox_token.TOKEN_BYTES)
        report_id = mailbox_token.report_id(token)
        canary = f"LOAD-CANARY-{n:05d}-{secrets.token_hex(6)}"
        plaintext = json.dumps(
            {
                "schema": "wbs-report/1",
                "lang": "id",
                "category": {"id": "pungutan-liar", "label": "Pungutan Liar"},
                "title": f"Laporan beban {n}",
                "what": f"Petugas loket meminta uang pelicin. {canary}",
                "reporter": {"anonymous": True, "name": "", "contact": "", "relation": ""},
            }
        ).encode()
        envelope = seal("report", report_id, plaintext, [Recipient(k) for k in keyring])
        made.append(Submission(token, report_id, canary, json.dumps(envelope.to_json()).encode()))
    return made


@dataclass
class Outcome:
    """One submission's answer: status 0 is a connection that failed."""

    submission: Submission
    status: int
    body: bytes
    started: float  # time.perf_counter()
    seconds: float


@dataclass
class Run:
    clients: int
    elapsed: float  # seconds from the start signal to the last answer
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def statuses(self) -> Counter[int]:
        return Counter(o.status for o in self.outcomes)

    @property
    def throughput(self) -> float:
        return len(self.outcomes) / self.elapsed

    def latency(self) -> dict[str, float]:
        """Seconds: p50, p90, p99, max and mean, nearest-rank percentiles."""
        ordered = sorted(o.seconds for o in self.outcomes)

        def rank(p: float) -> float:
            return ordered[max(0, min(len(ordered) - 1, round(p * len(ordered)) - 1))]

        return {
            "p50": rank(0.50),
            "p90": rank(0.90),
            "p99": rank(0.99),
            "max": ordered[-1],
            "mean": statistics.fmean(ordered),
        }

    def summary(self) -> str:
        lat = {k: v * 1000 for k, v in self.latency().items()}
        return (
            f"{len(self.outcomes)} reports from {self.clients} clients in {self.elapsed:.2f} s: "
            f"{self.throughput:.0f} reports/s; latency ms p50 {lat['p50']:.0f}, "
            f"p90 {lat['p90']:.0f}, p99 {lat['p99']:.0f}, max {lat['max']:.0f}, "
            f"mean {lat['mean']:.0f}; answers {dict(sorted(self.statuses.items()))}"
        )


def submit_all(port: int, work: list[Submission], clients: int, twice: int = 0) -> Run:
    """Send every submission from ``clients`` concurrent connections; the first ``twice``
    of them twice in a row, so that two clients send the same report at about the same
    time (a reporter's retry racing the first attempt)."""
    pending: queue.SimpleQueue[Submission] = queue.SimpleQueue()
    for n, item in enumerate(work):
        pending.put(item)
        if n < twice:
            pending.put(item)
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
        start.wait()
        try:
            while True:
                try:
                    item = pending.get_nowait()
                except queue.Empty:
                    return
                outcome = _send(conn, item)
                if outcome.status == 0:  # a broken connection: a new one for the next report
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
                with lock:
                    outcomes.append(outcome)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(TIMEOUT * len(work))
    elapsed = time.perf_counter() - began
    assert not any(t.is_alive() for t in threads), "a client did not finish"
    return Run(clients, elapsed, sorted(outcomes, key=lambda o: o.started))


def _send(conn: http.client.HTTPConnection, item: Submission) -> Outcome:
    headers = {
        "Content-Type": "application/json",
        "Authorization": "Bearer " + _b64(item.token),
        "Wbs-Signing-Key": reporter.key_header(item.token),
    }
    began = time.perf_counter()
    try:
        conn.request("POST", "/api/reports", body=item.body, headers=headers)
        response = conn.getresponse()
        body = response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        body, status = b"", 0
    return Outcome(item, status, body, began, time.perf_counter() - began)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def stored_files(root: Path) -> list[str]:
    """Every file in the storage folder, hidden ones included."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def check_storage(root: Path, work: list[Submission], before: Iterable[str] = ()) -> list[str]:
    """Problems with what the folder holds: exactly one report and one verifier for each
    submission, the report byte for byte what was sent, and nothing else but ``before`` (what
    it held before the load: the desks' grants)."""
    problems = []
    expected = sorted(
        [f"reports/{s.id}.json" for s in work]
        + [f"mailboxes/{s.id}/verifier.json" for s in work]
        + list(before)
    )
    found = stored_files(root)
    if found != expected:
        extra = sorted(set(found) - set(expected))[:5]
        missing = sorted(set(expected) - set(found))[:5]
        problems.append(
            f"{len(found)} files, not {len(expected)}: extra {extra}, missing {missing}"
        )
    for item in work:
        path = root / "reports" / f"{item.id}.json"
        if path.is_file():
            stored = json.loads(path.read_bytes())
            if canonical_json(stored["envelope"]) != canonical_json(json.loads(item.body)):
                problems.append(f"report {item.id} is not what was sent")
    return problems


def check_decryption(cache: Cache, identity: Identity, work: list[Submission]) -> list[str]:
    """Problems found decrypting the synced cache with the inspector's code
    (``wbs inbox list``'s): every report sent is there once and opens to its own canary."""
    problems = []
    canaries = {s.id: s.canary for s in work}
    reader = Reader(identity)
    ids = cache.ids()
    if sorted(ids) != sorted(canaries):
        problems.append(f"the cache holds {len(ids)} reports, not the {len(canaries)} sent")
    for report_id in ids:
        report = reader.open(parse_stored(report_id, cache.read(report_id)))
        if report_id not in canaries or canaries[report_id] not in report.what:
            problems.append(f"report {report_id} does not hold its own canary")
    return problems
