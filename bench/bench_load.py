"""Reports sent at once by many reporters to `wbs serve`: latency distribution and throughput.

    .venv/bin/python bench/bench_load.py [--reports 1000] [--clients 50] [--storage-dir DIR]

Starts `wbs serve` (the real command: build, waitress, local storage) in its own process on
127.0.0.1, with the proof of work off (WBS_POW_DIFFICULTY=0: the load is the reports, not
the proofs; bench/bench_pow.py measures those). Then, in this process:

  alone   one client sends 200 reports one after the other: the time the host takes for one
          report when nobody waits, its service time;
  load    CLIENTS clients (threads, one keep-alive connection each) send REPORTS reports,
          each under its own receipt token with its own canary, all starting together.

Every answer must be 201, storage must hold exactly one report and one verifier per report
sent (each report byte for byte), and `wbs inbox sync` followed by the inspector's
decryption must open each report to its own canary; otherwise the run fails. Prints the
latency percentiles and throughput of both phases, and the queueing the host's one API
request at a time (docs/decisions.md) implies: with CLIENTS waiting, a report waits for about
the CLIENTS - 1 ahead of it, so its latency is about CLIENTS x the service time.

Only 127.0.0.1 is contacted; the number of requests is fixed by the arguments.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.api import RECOVERY, write_keyring
from tests.support.host import WBS, wbs_serve
from tests.support.load import (
    Run,
    check_decryption,
    check_storage,
    submissions,
    submit_all,
)
from wbs import keyfile
from wbs.cache import Cache

ALONE = 200


def sync(tmp: Path, storage: Path) -> Cache:
    env = {**os.environ, "WBS_HOME": str(tmp / "home"), "WBS_STORAGE": f"local:{storage}"}
    done = subprocess.run(  # noqa: S603 (the project's own command)
        [WBS, "inbox", "sync"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"wbs inbox sync failed:\n{done.stderr}")
    print(f"  sync: {done.stdout.strip()}")
    os.environ["WBS_HOME"] = str(tmp / "home")  # where Cache.for_storage looks
    return Cache.for_storage(f"local:{storage}")


def show(name: str, run: Run) -> None:
    print(f"  {name:6} {run.summary()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--storage-dir", type=Path, help="where the storage folder goes (default: a temp dir)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wbs-load-") as name:
        tmp = Path(name)
        storage = (args.storage_dir or tmp) / "wbs-load-storage"
        if storage.exists():
            raise SystemExit(f"{storage} exists: give an empty place with --storage-dir")
        inspector = keyfile.generate()
        keyring = write_keyring(tmp / "keyring.json", [inspector.public_key])
        sealed_to = [inspector.public_key, RECOVERY.public_key]  # the desk and the recovery key
        alone = submissions(ALONE, sealed_to)
        load = submissions(args.reports, sealed_to)
        print(f"wbs serve on 127.0.0.1, storage {storage}, {os.cpu_count()} CPUs")
        env = {
            **os.environ,
            "WBS_HOME": str(tmp / "home"),
            "WBS_STORAGE": f"local:{storage}",
            "WBS_POW_DIFFICULTY": "0",
        }
        site = ["--keyring", str(keyring), "--site-out", str(tmp / "site")]
        with wbs_serve(site, env, tmp / "server.log") as base:
            port = int(base.rsplit(":", 1)[1])
            one = submit_all(port, alone, 1)
            many = submit_all(port, load, args.clients)
        show("alone", one)
        show("load", many)
        work = alone + load
        problems = []
        if one.statuses != {201: ALONE} or many.statuses != {201: args.reports}:
            problems.append("not every report was answered 201")
        problems += check_storage(storage, work)
        problems += check_decryption(sync(tmp, storage), inspector, work)
        service = one.latency()["mean"]
        print(
            f"  one API request at a time: {service * 1000:.1f} ms a report alone, so "
            f"{args.clients} clients wait about {args.clients} x {service * 1000:.1f} = "
            f"{args.clients * service * 1000:.0f} ms; measured mean "
            f"{many.latency()['mean'] * 1000:.0f} ms, throughput {many.throughput:.0f}/s "
            f"against {1 / service:.0f}/s alone"
        )
        if problems:
            raise SystemExit("FAILED: " + "; ".join(problems[:10]))
        print(f"  ok: {len(work)} reports stored once each, each decrypts to its own canary")


if __name__ == "__main__":
    main()
