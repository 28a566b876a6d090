"""Seeking in a recording in the workbench: a range request once the file is in the session's
memory, as a ratio to the first one, which decrypts it.

    .venv/bin/python bench/bench_workbench_seek.py [--mib 128] [--seeks 50]

Stores an evidence file of N MiB (video/mp4, random bytes, attachment-v1) for one report,
opens a workbench in-process (the WSGI application, no socket) and measures in the same run:

  first    the first range request of the file: decrypted from storage, checked against its
           manifest, kept in the session, one range answered (what the player's first
           request costs);
  seek     a range request of 1 MiB at a random offset afterwards, as a player's seek makes
           (median of --seeks), answered from the session's copy;
  redo     the first request again after another file was opened: what every seek would
           cost without the kept copy.

Target: seek is at least 20 times faster than redo, so that a seek does not wait for the
whole file again. Requests go straight to the WSGI application, so the times are the
workbench's own, without a socket.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from functions.storage import LocalStorage  # noqa: E402
from tests.support.inbox import FIRST, PASSPHRASE, payload, put  # noqa: E402
from tests.support.workbench import Client, workbench  # noqa: E402
from tests.test_workbench_files import upload  # noqa: E402
from wbs import keyfile  # noqa: E402

TARGET = 20.0
VIDEO, OTHER = "5QZ2W8R1XK4T7M3N", "9HJ6C0VB2DPE8GA4"


def timed(client: Client, file_id: str, first: int, size: int) -> float:
    start = time.perf_counter()
    answer = client.get(
        f"/case/{FIRST}/file/{file_id}", headers={"Range": f"bytes={first}-{first + size - 1}"}
    )
    elapsed = time.perf_counter() - start
    assert answer.status == 206 and len(answer.data) == size, answer.status
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=128)
    parser.add_argument("--seeks", type=int, default=50)
    args = parser.parse_args()
    total, piece = args.mib << 20, 1 << 20
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["WBS_HOME"] = str(Path(tmp) / "home")
        identity = keyfile.generate()
        key = Path(tmp) / "inspector.key"
        keyfile.create(key, identity, PASSPHRASE, "bench")
        store = LocalStorage(Path(tmp) / "store")
        manifest = [
            upload(store, VIDEO, "rekaman.mp4", "video/mp4", os.urandom(total)),
            upload(store, OTHER, "lain.mp4", "video/mp4", os.urandom(piece)),
        ]
        reporter = base64.b64encode(keyfile.generate().public_key).decode()
        put(store, FIRST, identity, payload(attachments=manifest, reporter_public_key=reporter))
        client = Client(workbench(key, store))
        client.enter()
        client.post("/unlock", {"passphrase": PASSPHRASE})
        client.sync()
        first = timed(client, VIDEO, 0, piece)
        rng = random.Random(7)  # noqa: S311 (seek offsets, not secrets)
        offsets = [rng.randrange(total - piece) for _ in range(args.seeks)]
        seeks = [timed(client, VIDEO, offset, piece) for offset in offsets]
        timed(client, OTHER, 0, piece)  # another file takes the session's place
        redo = timed(client, VIDEO, total - piece, piece)
    seek = statistics.median(seeks)
    ratio = redo / seek
    print(f"file {args.mib} MiB, {args.seeks} seeks of 1 MiB")
    print(f"first range (decrypts)   {first * 1000:9.1f} ms")
    print(f"seek (kept copy), median {seek * 1000:9.2f} ms")
    print(f"redo after another file  {redo * 1000:9.1f} ms")
    print(f"redo / seek              {ratio:9.0f}x  (target >= {TARGET:.0f}x)")
    sys.exit(0 if ratio >= TARGET else 1)


if __name__ == "__main__":
    main()
