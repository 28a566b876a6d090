"""A sync through the inspector API against a sync from the store's folder itself.

    .venv/bin/python bench/bench_inspector_api.py [--reports 500]

A store in a temporary folder gets REPORTS reports and one message each (3 KB of random
bytes apiece: the API moves ciphertext, it never opens it); the real self-hosted host
(functions/host.py, the inspector API on) serves it on the loopback. Then the inspector's
sync (wbs/syncing.py) copies everything into an empty cache twice: from the folder
(LocalStorage), and through the API (wbs/remote_storage.py: one signed listing request per
1,000 keys and one signed GET per object, kept-alive connections). Printed: both times and
the API's cost per object.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from functions import keyring
from functions.config import Settings
from functions.host import make_server
from functions.keyring import KeyEntry, Keyring
from functions.storage import LocalStorage, layout
from tests.support.host import serving
from wbs import keyfile, syncing
from wbs.cache import Cache
from wbs.remote_storage import RemoteStorage

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SENT = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def report_id(n: int) -> str:
    return "7K3M" + "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in range(12))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=500)
    reports = parser.parse_args().reports
    tmp = Path(tempfile.mkdtemp(prefix="wbs-bench-"))
    inspector = keyfile.generate()
    entry = KeyEntry.for_public_key(
        inspector.public_key, "Inspektur", "2026-01-01", inspector.verify_key
    )
    keyring.dump(Keyring(keys=(entry,)), tmp / "keyring.json")
    store = LocalStorage(tmp / "store")
    for n in range(reports):
        store.put_new(layout.report(report_id(n)), os.urandom(3000))
        store.put_new(layout.message(report_id(n), SENT, "reporter", "0badc0de"), os.urandom(3000))

    started = time.perf_counter()
    syncing.run(store, Cache(tmp / "from-folder"))
    folder = time.perf_counter() - started

    settings = Settings(f"local:{store.root}", tmp / "keyring.json", inspector_api=True)
    server = make_server(None, settings, port=0)
    with serving(server):
        remote = RemoteStorage(f"wbs+http://127.0.0.1:{server.effective_port}", lambda: inspector)
        started = time.perf_counter()
        done = syncing.run(remote, Cache(tmp / "through-api"))
        api = time.perf_counter() - started
        remote.close()
    objects = len(done.reports) + len(done.messages)
    print(f"{objects} objects: folder {folder:.2f} s, API {api:.2f} s "
          f"({api / objects * 1000:.1f} ms an object)")  # fmt: skip


if __name__ == "__main__":
    main()
