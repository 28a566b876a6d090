"""The keyring's size with hybrid (X-Wing) desks, against the same with X25519 desks.

    .venv/bin/python bench/bench_keyring_hybrid.py [--desks 1 550]

For each count, two keyrings (wbs-keyring/4) of that many desks, one generation each, and
the recovery key (with its X-Wing key, as `wbs desks init` makes it): every desk X25519, or
every desk X-Wing (a 1216-byte public key). Printed: bytes as written (`functions.keyring.dump`)
and gzipped (level 9, as a server compresses `keyring.json`), and the ratio hybrid / X25519.
The keys are random, so gzip gains little on them: the public keys are most of the bytes.
The page embeds the active desk keys too (wbs/build/desks.py): its weight follows the
keyring's, measured with the page in the next step of issue 18.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nacl.public import PrivateKey

from functions.keyring import DeskEntry, Keyring, RecoveryEntry
from wbs import xwing
from wbs.desks import recovery

DAY = "2026-12-06"


def keyring(desks: int, hybrid: bool) -> bytes:
    rescuer = recovery.identity(recovery.new_master())
    assert rescuer.xwing is not None and rescuer.verify_key is not None
    entry = RecoveryEntry.for_public_key(
        rescuer.public_key,
        rescuer.verify_key,
        "Kunci pemulihan",
        DAY,
        3,
        5,
        rescuer.xwing.public_key,
    )
    ring = Keyring().with_recovery(entry)
    for n in range(desks):
        public = (
            xwing.DecapsulationKey.generate().public_key
            if hybrid
            else bytes(PrivateKey.generate().public_key)
        )
        ring = ring.with_desk(DeskEntry.for_public_key(f"desk-{n}", 1, public, DAY))
    return (json.dumps(ring.to_json(), indent=2, ensure_ascii=False) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--desks", type=int, nargs="+", default=[1, 550])
    counts = parser.parse_args().desks
    print(f"{'desks':>6} {'type':>7} {'bytes':>10} {'gzip':>10}  hybrid/X25519 (gzip)")
    for count in counts:
        sizes = {}
        for hybrid in (False, True):
            raw = keyring(count, hybrid)
            sizes[hybrid] = (len(raw), len(gzip.compress(raw, 9)))
            kind = "X-Wing" if hybrid else "X25519"
            print(f"{count:>6} {kind:>7} {sizes[hybrid][0]:>10,} {sizes[hybrid][1]:>10,}", end="")
            print(f"  {sizes[True][1] / sizes[False][1]:.2f}" if hybrid else "")


if __name__ == "__main__":
    main()
