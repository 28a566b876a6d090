"""The API's recipient check with many desks, as a ratio to the same check with one desk.

    .venv/bin/python bench/bench_routing.py [--offices 550] [--reports 500]

Two deployments in one run, side by side, each a keyring in a temporary folder and a store in
memory (the handler's own work: a store's writes cost the same whatever the desks; the proof
of work off: bench/bench_pow.py measures that):

  1 desk       one desk and the recovery key, no routing rules (WBS_ROUTING unset);
  N desks      a central desk, an escalation desk, a category desk and one desk per office
               (OFFICES of them), central_receives "all": route() then gives about
               2 x OFFICES recipient sets, every one of which the API accepts.

For each it measures:

  load         reading the keyring and the rules and enumerating the allowed sets: what
               the first request after either file changes pays (functions/recipients.py);
  check        the per-request recipient check of POST /api/reports: stat both files, find
               the cached sets, look the envelope's key ids up (µs per check);
  follow-up    the same for POST /api/mailbox: the case's desks, their active keys, the
               recovery key and one more (µs per check, shares aside);
  report POST  the whole handler (functions/app.lambda_handler) for a report sealed to an
               office's desks: parse, check, write the verifier and the report (ms each).

Each is timed over several rounds and the best round counts. Target: report POST with N
desks within 10 % of one desk's (ratio <= 1.10).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aws_lambda_powertools.utilities.typing import LambdaContext
from nacl.public import PrivateKey

from functions import app as api
from functions import mailbox_token, recipients
from functions.log import logger
from functions.routing import Routing
from tests.hostile.strategies import MemoryStorage
from tests.support.api import (
    RECOVERY,
    bearer,
    envelope_json,
    new_token,
    post_event,
    sealed,
    write_desks,
)
from wbs.crypto import Identity

TARGET = 1.10
ROUNDS = 5


class Deployment:
    """A keyring, its rules (or none) and a store, in ``folder``."""

    def __init__(self, folder: Path, offices: int) -> None:
        folder.mkdir()
        self.store = MemoryStorage()
        self.keyring = folder / "keyring.json"
        self.identities: dict[str, Identity] = {}
        if offices == 0:
            names = ["inspektorat"]
            self.routing: Path | None = None
            self.route = ["inspektorat"]
        else:
            offices_desks = [f"kab-{n:04d}" for n in range(offices)]
            names = ["inspektorat", "pimpinan", "pengadaan", *offices_desks]
            rules = Routing(
                central="inspektorat",
                central_receives="all",
                escalation="pimpinan",
                offices=tuple((f"kpu-{d}", d) for d in offices_desks),
                categories=(("pengadaan-barang-jasa", ("pengadaan",)),),
            )
            self.routing = folder / "routing.json"
            self.routing.write_text(json.dumps(rules.to_json()), encoding="utf-8")
            # an office in the middle of the list, with the central desk
            self.route = [offices_desks[offices // 2], "inspektorat"]
        for n, name in enumerate(names):
            seed = n.to_bytes(4, "big") + bytes(28)
            self.identities[name] = Identity(PrivateKey.from_seed(seed))
        write_desks(self.keyring, {d: [i.public_key] for d, i in self.identities.items()})
        self.kids = frozenset({RECOVERY.kid, *(self.identities[d].kid for d in self.route)})

    def wire(self) -> None:
        api.configure(storage=self.store, keyring_path=self.keyring, routing_path=self.routing)

    def events(self, count: int) -> list[dict[str, Any]]:
        """``count`` reports, each under its own token, sealed to ``route``'s desks."""
        keys = [self.identities[d].public_key for d in self.route]
        out = []
        for _ in range(count):
            token = new_token()
            report = sealed(b'{"what":"bench"}', keys, mailbox_token.report_id(token))
            out.append(post_event(envelope_json(report), authorization=bearer(token)))
        return out


def best(rounds: int, run: Callable[[], float]) -> float:
    return min(run() for _ in range(rounds))


def time_load(deployment: Deployment) -> float:
    """Seconds to read both files and enumerate the allowed sets."""

    def run() -> float:
        start = time.perf_counter()
        recipients.Recipients.load(deployment.keyring, deployment.routing)
        return time.perf_counter() - start

    return best(ROUNDS, run)


def time_check(deployment: Deployment, checks: int) -> float:
    """Microseconds per cached check, as submit_report makes it."""
    source = recipients.source(deployment.keyring, deployment.routing)
    assert source.current().report_desks(deployment.kids) is not None

    def run() -> float:
        start = time.perf_counter()
        for _ in range(checks):
            source.current().report_desks(deployment.kids)
        return (time.perf_counter() - start) / checks * 1e6

    return best(ROUNDS, run)


def time_followup_check(deployment: Deployment, checks: int) -> float:
    """Microseconds per cached follow-up check, as post_followup makes it."""
    source = recipients.source(deployment.keyring, deployment.routing)
    recorded = tuple(sorted(deployment.route))
    kids = deployment.kids | {"00000000000000ff"}  # and the reporter's
    assert source.current().followup_allowed(kids, source.current().case_desks(recorded))

    def run() -> float:
        start = time.perf_counter()
        for _ in range(checks):
            known = source.current()
            known.followup_allowed(kids, known.case_desks(recorded))
        return (time.perf_counter() - start) / checks * 1e6

    return best(ROUNDS, run)


def time_reports(deployment: Deployment, count: int) -> tuple[float, float]:
    """Milliseconds per report POST through the handler: best round's mean, and its median."""
    deployment.wire()
    context = LambdaContext()
    api.lambda_handler(deployment.events(1)[0], context)  # the first request loads the files
    rounds: list[tuple[float, float]] = []
    for _ in range(ROUNDS):
        events = deployment.events(count)
        spent: list[float] = []
        for event in events:
            start = time.perf_counter()
            response = api.lambda_handler(event, context)
            spent.append(time.perf_counter() - start)
            assert response["statusCode"] == 201, response
        rounds.append((statistics.fmean(spent) * 1e3, statistics.median(spent) * 1e3))
    return min(rounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offices", type=int, default=550)
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--checks", type=int, default=20_000)
    args = parser.parse_args()
    os.environ["WBS_POW_DIFFICULTY"] = "0"
    logger.setLevel("WARNING")  # one line per request would drown the results

    with tempfile.TemporaryDirectory(prefix="wbs-bench-") as tmp:
        one = Deployment(Path(tmp) / "one", 0)
        many = Deployment(Path(tmp) / "many", args.offices)
        sets_one = len(recipients.Recipients.load(one.keyring, one.routing).reports)
        sets_many = len(recipients.Recipients.load(many.keyring, many.routing).reports)
        load_one, load_many = time_load(one), time_load(many)
        check_one, check_many = time_check(one, args.checks), time_check(many, args.checks)
        follow_one = time_followup_check(one, args.checks)
        follow_many = time_followup_check(many, args.checks)
        # interleaved, so that a slower moment of the machine weighs on both
        post_one, median_one = time_reports(one, args.reports)
        post_many, median_many = time_reports(many, args.reports)
        post_one2, median_one2 = time_reports(one, args.reports)
        post_one, median_one = min(post_one, post_one2), min(median_one, median_one2)
        api.configure()

    desks = len(many.identities)
    print(f"{'':28}{'1 desk':>12}{f'{desks} desks':>12}{'ratio':>9}")
    print(f"{'allowed recipient sets':28}{sets_one:>12,}{sets_many:>12,}")
    print(f"{'load (on a file change)':28}{load_one * 1e3:>9.2f} ms{load_many * 1e3:>9.1f} ms")
    ratio_check = check_many / check_one
    print(f"{'check per request':28}{check_one:>9.2f} µs{check_many:>9.2f} µs{ratio_check:>9.2f}")
    ratio_follow = follow_many / follow_one
    print(
        f"{'follow-up check per request':28}{follow_one:>9.2f} µs{follow_many:>9.2f} µs"
        f"{ratio_follow:>9.2f}"
    )
    ratio_post = post_many / post_one
    print(f"{'report POST, mean':28}{post_one:>9.3f} ms{post_many:>9.3f} ms{ratio_post:>9.2f}")
    ratio_median = median_many / median_one
    print(
        f"{'report POST, median':28}{median_one:>9.3f} ms{median_many:>9.3f} ms{ratio_median:>9.2f}"
    )
    verdict = "met" if ratio_post <= TARGET else "NOT met"
    print(f"target: report POST ratio <= {TARGET:.2f}: {verdict}")
    return 0 if ratio_post <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
