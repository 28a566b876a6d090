"""Inspector streaming decryption of an evidence file, as a ratio to PyNaCl's raw secretstream.

    .venv/bin/python bench/bench_attachment.py [--mib 256]

Encrypts a file of N MiB (format v1, 1 MiB chunks) into a temporary folder, then measures in
the same run:

  raw      crypto_secretstream_xchacha20poly1305_pull of the same chunks, held in memory
           (the floor of any reader: no reading, no checks, no hashing, no writing);
  decrypt  the inspector's streaming decryption, attachments.decrypt: read each chunk of
           the object from disk, pull, check tags, padding, size and SHA-256, hand the
           plaintext on (here to a sink that drops it);
  export   what `wbs inbox export` runs per file: the same, written to a temporary file,
           fsynced and linked into place;
  disk     writing the same number of plaintext bytes to a file and fsyncing it: the
           machine's ceiling for any export.

Each is timed over several rounds and the best counts. Target: decrypt/raw >= 0.7; the export
is reported beside it, with the disk alone for scale. It also prints the growth of peak RSS
during the export rounds: it stays a few MiB whatever N is.
"""

from __future__ import annotations

import argparse
import io
import os
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

        def decrypt() -> None:
            with stored.open("rb") as source:
                attachments.decrypt(source, _Drop(), REPORT, entry)

        def disk() -> None:
            target = folder / "plain-disk"
            with target.open("wb") as sink:
                for _ in range(mib + 1):
                    sink.write(block)
                sink.flush()
                os.fsync(sink.fileno())
            target.unlink()

        decrypt_seconds = best_seconds(decrypt)
        disk_seconds = best_seconds(disk)

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

    raw_rate, decrypt_rate = mib / raw_seconds, mib / decrypt_seconds
    export_rate, disk_rate = mib / export_seconds, mib / disk_seconds
    ratio = decrypt_rate / raw_rate
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(f"file:     {mib} MiB in {mib + 1} chunks of 1 MiB")
    print(f"raw:      {raw_rate:8.1f} MiB/s  (PyNaCl secretstream pull, in memory)")
    print(f"decrypt:  {decrypt_rate:8.1f} MiB/s  (streaming from disk, every check)")
    print(f"export:   {export_rate:8.1f} MiB/s  (decrypt, write, fsync, link)")
    print(f"disk:     {disk_rate:8.1f} MiB/s  (plain write + fsync, for scale)")
    print(f"ratio decrypt/raw  {ratio:.2f} (target >= {TARGET}: {verdict})")
    print(f"ratio export/raw   {export_rate / raw_rate:.2f} (no target: adds the writing)")
    print(f"peak RSS growth during export: {growth:.1f} MiB")
    return 0 if ratio >= TARGET else 1


class _Drop:
    """A sink that drops what it is given: the decryption alone, without the disk."""

    def write(self, data: bytes, /) -> int:
        return len(data)


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
