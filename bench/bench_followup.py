"""Follow-ups sent at once by many reporters: latency with the function's signature check,
beside the same run without it.

    .venv/bin/python bench/bench_followup.py [--clients 50] [--per-client 10]

Builds the site for a throwaway keyring and runs the real local host (waitress, local
storage, the proof of work off: bench/bench_pow.py measures that) in this process on
127.0.0.1. Each of CLIENTS reporters opens a case (POST /api/reports, registering the
Ed25519 key of its receipt code), then all of them, starting together, each send PER-CLIENT
signed follow-ups (POST /api/mailbox) over one keep-alive connection. Two runs, each on its
own fresh cases:

  checked    as deployed: the function checks each follow-up's signature with python-ecdsa
             before it writes anything (docs/spec/signature-v2.md §5);
  unchecked  the same requests with the check replaced by one that accepts any signature.

Every answer must be 201 and every follow-up stored once, with its signature. Prints p50,
p99 and throughput of both runs and their ratio. Only 127.0.0.1 is contacted; the number of
requests is fixed by the arguments.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import http.client
import json
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from functions import mailbox, mailbox_token, reporter_key
from functions.config import Settings
from functions.host import make_server
from functions.log import logger
from functions.signature import REPORTER, Signature
from functions.storage import LocalStorage
from tests.support import reporter
from tests.support.api import identity, write_keyring
from tests.support.host import serving
from tests.support.site import build_site
from wbs import messages
from wbs.crypto import Recipient, seal

HOST = "127.0.0.1"
INSPECTOR = identity(1)


def request(
    conn: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]
) -> int:
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json", **headers})
    response = conn.getresponse()
    response.read()
    return response.status


def open_cases(port: int, count: int) -> list[bytes]:
    """``count`` new cases; their tokens."""
    tokens = []
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    for n in range(count):
        token = secrets.token_bytes(mailbox_token.TOKEN_BYTES)
        report_id = mailbox_token.report_id(token)
        plaintext = json.dumps({"schema": "wbs-report/1", "title": f"bench {n}"}).encode()
        envelope = seal("report", report_id, plaintext, [Recipient(INSPECTOR.public_key)])
        headers = {
            "Authorization": "Bearer " + base64.b64encode(token).decode(),
            "Wbs-Signing-Key": reporter.key_header(token),
        }
        status = request(conn, "/api/reports", json.dumps(envelope.to_json()).encode(), headers)
        assert status == 201, status
        tokens.append(token)
    conn.close()
    return tokens


def followups(token: bytes, count: int) -> list[tuple[bytes, dict[str, str]]]:
    """``count`` signed follow-ups for the case of ``token``: (body, headers)."""
    report_id = mailbox_token.report_id(token)
    made = []
    for n in range(count):
        now = datetime.datetime.now(datetime.UTC)
        message = messages.new("message", by="", now=now, text=f"tambahan {n}")
        envelope = seal(
            "followup", report_id, messages.encode(message), [Recipient(INSPECTOR.public_key)]
        )
        headers = {
            "Authorization": "Bearer " + base64.b64encode(token).decode(),
            "Wbs-Signature": reporter.signature_header(token, envelope),
        }
        made.append((json.dumps(envelope.to_json()).encode(), headers))
    return made


def run(port: int, work: list[list[tuple[bytes, dict[str, str]]]]) -> tuple[list[float], float]:
    """Every client sends its follow-ups at once; (latencies in seconds, elapsed)."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(len(work) + 1)

    def client(items: list[tuple[bytes, dict[str, str]]]) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        start.wait()
        for body, headers in items:
            began = time.perf_counter()
            status = request(conn, "/api/mailbox", body, headers)
            took = time.perf_counter() - began
            assert status == 201, status
            with lock:
                latencies.append(took)
        conn.close()

    threads = [threading.Thread(target=client, args=(items,)) for items in work]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return sorted(latencies), time.perf_counter() - began


def rank(ordered: list[float], p: float) -> float:
    return ordered[max(0, min(len(ordered) - 1, round(p * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--per-client", type=int, default=10)
    args = parser.parse_args()
    if not 1 <= args.per_client < mailbox.MAX_REPORTER_MESSAGES:
        raise SystemExit(f"--per-client is 1 to {mailbox.MAX_REPORTER_MESSAGES - 1}")

    real_check = reporter_key.check_followup

    def unchecked(envelope: object, header: str | None, key: str | None) -> Signature:
        return Signature(REPORTER, base64.b64decode(header or ""))

    logger.setLevel("WARNING")  # one line per request would drown the results
    results = {}
    with tempfile.TemporaryDirectory(prefix="wbs-bench-") as tmp:
        keyring = write_keyring(Path(tmp) / "keyring.json", [INSPECTOR.public_key])
        site = build_site(keyring, Path(tmp) / "site")
        storage = Path(tmp) / "storage"
        server = make_server(site, Settings(f"local:{storage}", keyring, pow_difficulty=0), port=0)
        with serving(server):
            port = server.effective_port  # type: ignore[union-attr]
            for name, check in (("checked", real_check), ("unchecked", unchecked)):
                tokens = open_cases(port, args.clients)
                work = [followups(token, args.per_client) for token in tokens]
                reporter_key.check_followup = check  # type: ignore[assignment]
                try:
                    latencies, elapsed = run(port, work)
                finally:
                    reporter_key.check_followup = real_check
                store = LocalStorage(storage)
                for token in tokens:
                    stored = mailbox.keys(store, mailbox_token.report_id(token))
                    assert len(stored) == args.per_client, len(stored)
                    assert all(mailbox.parse(k, store.get(k)).signature for k in stored)
                results[name] = (latencies, elapsed)

    total = args.clients * args.per_client
    print(f"follow-ups per run       {total:>8,}  ({args.clients} clients)")
    for name, (latencies, elapsed) in results.items():
        p50, p99 = rank(latencies, 0.5) * 1000, rank(latencies, 0.99) * 1000
        print(f"{name:<10} p50 {p50:>7.1f} ms  p99 {p99:>7.1f} ms  {total / elapsed:>6.0f} /s")
    (checked, _), (plain, _) = results["checked"], results["unchecked"]
    print(f"p50 checked/unchecked    {rank(checked, 0.5) / rank(plain, 0.5):>8.2f}")
    print(f"p99 checked/unchecked    {rank(checked, 0.99) / rank(plain, 0.99):>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
