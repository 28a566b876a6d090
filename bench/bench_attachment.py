"""Inspector streaming decryption of an evidence file, as a ratio to PyNaCl's raw secretstream.

    .venv/bin/python bench/bench_attachment.py [--mib 256]

Encrypts a file of N MiB (format v1, 1 MiB chunks) into a temporary folder, then measures in
the same run:

  raw     crypto_secretstream_xchacha20poly1305_pull of the same chunks, held in memory
          (the floor of any reader: no reading, no checks, no hashing, no writing);
  export  what `wbs inbox export` runs per file: attachments.decrypt_to_file from the
          object on disk: read each chunk, pull, check tags, padding, size and SHA-256,
          write to a temporary file, fsync, link.

Each is timed over several rounds and the best counts. Target: export/raw >= 0.7. It also
prints the growth of peak RSS during the export rounds: it stays a few MiB whatever N is.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nacl.bindings as sodium

from wbs import attachments
from wbs.attachments import CHUNK, Attachment

TARGET = 0.7
ROUNDS = 3
REPORT, FILE = "7K3M9QXA2B4C6D8E", "5QZ2W8R1XK4T7M3N"


def best_seconds(run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=256)
    mib = parser.parse_args().mib
    key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
    block = bytes(range(256)) * (CHUNK // 256)

    with tempfile.TemporaryDirectory(prefix="wbs-bench-") as tmp:
        folder = Path(tmp)
        stored = folder / "object"
        with stored.open("wb") as sink:
            digest = attachments.encrypt(_Repeat(block, mib), sink, REPORT, FILE, key)
        entry = Attachment(FILE, "bench.bin", "", digest.size, CHUNK, key, digest.sha256)

        rounds = iter(range(ROUNDS))

        def export() -> None:
            target = folder / f"plain-{next(rounds)}"
            with stored.open("rb") as source:
                attachments.decrypt_to_file(source, target, REPORT, entry)
            target.unlink()

        # The export first, so that its peak RSS is not hidden by the raw run's chunk list.
        before = peak_rss_mib()
        export_seconds = best_seconds(export)
        growth = peak_rss_mib() - before

        data = stored.read_bytes()
        header = data[: attachments.HEADER_BYTES]
        step = CHUNK + attachments.ABYTES
        chunks = [data[i : i + step] for i in range(len(header), len(data), step)]
        ad = attachments.associated_data(REPORT, FILE)

        def raw() -> None:
            state = sodium.crypto_secretstream_xchacha20poly1305_state()
            sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
            for sealed in chunks:
                sodium.crypto_secretstream_xchacha20poly1305_pull(state, sealed, ad)

        raw_seconds = best_seconds(raw)

    raw_rate, export_rate = mib / raw_seconds, mib / export_seconds
    ratio = export_rate / raw_rate
    print(f"file:    {mib} MiB in {mib + 1} chunks of 1 MiB")
    print(f"raw:     {raw_rate:8.1f} MiB/s  (PyNaCl secretstream pull, in memory)")
    print(f"export:  {export_rate:8.1f} MiB/s  (decrypt_to_file from disk, every check)")
    print(f"ratio:   {ratio:.2f} (target >= {TARGET})")
    print(f"peak RSS growth during export: {growth:.1f} MiB")
    return 0 if ratio >= TARGET else 1


class _Repeat(io.RawIOBase):
    """``count`` copies of ``block``, read as a stream (no file of plaintext on disk)."""

    def __init__(self, block: bytes, count: int) -> None:
        self.block, self.left = block, count

    def read(self, size: int = -1, /) -> bytes:
        if self.left == 0:
            return b""
        self.left -= 1
        return self.block


if __name__ == "__main__":
    sys.exit(main())
