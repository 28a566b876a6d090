"""The API's recipient check with hundreds of desks, as a ratio to the same with one desk.

    .venv/bin/python bench/bench_routing.py [--offices 550] [--reports 500]

Three deployments in one run, side by side, each a keyring in a temporary folder and a store
in memory (the handler's own work: a store's writes cost the same whatever the desks; the
proof of work off: bench/bench_pow.py measures that):

  1 desk       one desk and the recovery key, no routing rules (WBS_ROUTING unset): a report
               is sealed to that desk and the recovery key;
  1 office     a central desk, an escalation desk, a category desk and one office desk, with
               routing rules (central_receives "all"): a report about the office is sealed
               to its desk, the central desk and the recovery key;
  N offices    the same with OFFICES office desks: route() gives about 2 x OFFICES recipient
               sets, every one of which the API accepts; the same report as "1 office".

For each it measures:

  load         reading the keyring and the rules and enumerating the allowed sets: what
               the first request after either file changes pays (functions/recipients.py);
  check        the per-request recipient check of POST /api/reports: stat both files, find
               the cached sets, look the envelope's key ids up (µs per check);
  follow-up    the same for POST /api/mailbox: the case's desks, their active keys, the
               recovery key and one more (µs per check, shares aside);
  report POST  the whole handler (functions/app.lambda_handler) for one report: parse, check,
               write the verifier and the report (ms each, mean and median of a round).

Each is timed over several rounds and the best round counts. Ratios are N offices over 1 desk
and over 1 office (the same envelope: only the number of desks differs). Target: the report
POST's median with N offices within 10 % of 1 office's (ratio <= 1.10).
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

    rows: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="wbs-bench-") as tmp:
        runs = [Deployment(Path(tmp) / f"d{n}", n) for n in (0, 1, args.offices)]
        for d in runs:
            known = recipients.Recipients.load(d.keyring, d.routing)
            rows.setdefault("allowed recipient sets", []).append(len(known.reports))
            rows.setdefault("load (on a file change), ms", []).append(time_load(d) * 1e3)
            rows.setdefault("check per request, µs", []).append(time_check(d, args.checks))
            follow = time_followup_check(d, args.checks)
            rows.setdefault("follow-up check, µs", []).append(follow)
        # twice, interleaved, so that a slower moment of the machine weighs on all three
        posts = [time_reports(d, args.reports) for d in runs]
        posts = [
            min(first, again, key=lambda t: t[1])
            for first, again in zip(
                posts, [time_reports(d, args.reports) for d in runs], strict=True
            )
        ]
        rows["report POST, mean, ms"] = [mean for mean, _ in posts]
        rows["report POST, median, ms"] = [median for _, median in posts]
        api.configure()

    names = ["1 desk", "1 office", f"{args.offices} offices"]
    desks = [f"({len(d.identities)} desk{'s' * (len(d.identities) > 1)})" for d in runs]
    print(f"{'':28}" + "".join(f"{n:>13}" for n in names) + f"{'/1 desk':>9}{'/1 office':>10}")
    print(f"{'':28}" + "".join(f"{d:>13}" for d in desks))
    for label, values in rows.items():
        cells = "".join(
            f"{v:>13,.0f}" if label.startswith("allowed") else f"{v:>13.3f}" for v in values
        )
        ratios = (
            ""
            if label.startswith(("allowed", "load"))
            else (f"{values[2] / values[0]:>9.2f}{values[2] / values[1]:>10.2f}")
        )
        print(f"{label:28}{cells}{ratios}")
    ratio = rows["report POST, median, ms"][2] / rows["report POST, median, ms"][1]
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(
        f"target: report POST median, {args.offices} offices / 1 office <= {TARGET:.2f}: {verdict}"
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
