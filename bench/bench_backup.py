"""`wbs backup` on a store of a few thousand objects and one large evidence file: the time of
create, verify and restore (into an empty folder), and how much memory each adds.

    .venv/bin/python bench/bench_backup.py [--objects 3000] [--mib 100] [--s3]

Fills a temporary local store with OBJECTS objects of 1 to 4 KiB spread over the layout's
folders (reports, messages, notes, grants: the shape of a year of cases) and one object of
MIB MiB (an evidence file; random bytes, written to disk piece by piece). Then times, once
each, with the real key derivation (Argon2id, moderate: about a second and 256 MiB):

  create   `run.create`: list, read every object, encrypt, write the file and link it;
  verify   `run.verify`: decrypt and check every chunk and SHA-256;
  restore  `run.restore` into an empty folder: a whole check, then every object written
           create-only (each fsynced and linked, as the service writes);

and the growth of peak RSS over each (the key derivation's 256 MiB is in the first one
only: the process keeps that memory). With --s3 the same runs against moto's S3 in memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from functions.storage import LocalStorage
from wbs.backup import run
from wbs.backup.stores import LocalStore, Store

PASSPHRASE = "kata sandi cadangan yang panjang"  # noqa: S105 - a throwaway file's
FOLDERS = ("reports", "mailboxes", "notes", "desks", "shares", "uploads")


def fill(store: LocalStorage, objects: int, mib: int) -> int:
    total = 0
    for n in range(objects):
        folder = FOLDERS[n % len(FOLDERS)]
        case = f"{n // 6:016X}"
        key = f"{folder}/{case}.json" if folder == "reports" else f"{folder}/{case}/{n}.json"
        data = os.urandom(1024 + (n * 7919) % 3072)
        store.put_new(key, data)
        total += len(data)
    big = store.root / "attachments" / "7K3M9QXA2B4C6D8E" / "5QZ2W8R1XK4T7M3N"
    big.parent.mkdir(parents=True, mode=0o700)
    with big.open("wb") as out:
        for _ in range(mib):
            out.write(os.urandom(1024 * 1024))
    return total + mib * 1024 * 1024


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(what: str, work: Callable[[], object]) -> None:
    before, start = peak_mib(), time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    print(f"{what:<8} {seconds:7.2f} s   peak RSS +{peak_mib() - before:6.1f} MiB")


def bench(objects: int, mib: int, s3: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = LocalStorage(root / "store")
        size = fill(source, objects, mib)
        mib_stored = size / 1024**2
        print(f"store: {objects + 1} objects, {mib_stored:.1f} MiB; peak RSS {peak_mib():.0f} MiB")
        context: AbstractContextManager[object] = nullcontext()
        if s3:
            from moto import mock_aws

            context = mock_aws()
        with context:
            origin: Store = LocalStore(source)
            empty: Store = LocalStore(LocalStorage(root / "restored"))
            if s3:
                origin, empty = _s3_pair(source)
            target = root / "wbs.backup"
            listing = list(origin.objects())
            timed("create", lambda: run.create(origin, listing, "bench", target, PASSPHRASE))
            print(f"file:    {target.stat().st_size / 1024**2:.1f} MiB")
            timed("verify", lambda: run.verify(target, PASSPHRASE))
            timed("restore", lambda: run.restore(target, empty, PASSPHRASE))


def _s3_pair(source: LocalStorage) -> tuple[Store, Store]:
    import boto3

    from functions.storage import S3Storage
    from wbs.backup.stores import S3Store

    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-3")
    client = boto3.client("s3")
    for bucket in ("bench-origin", "bench-restored"):
        client.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-3"}
        )
    origin = S3Store(S3Storage("bench-origin", client=client), client)
    for info in LocalStore(source).objects():
        with source.stream(info.key) as body:  # type: ignore[attr-defined]
            client.upload_fileobj(body, "bench-origin", info.key)
    return origin, S3Store(S3Storage("bench-restored", client=client), client)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=3000)
    parser.add_argument("--mib", type=int, default=100)
    parser.add_argument("--s3", action="store_true", help="against moto's S3, in memory")
    args = parser.parse_args()
    bench(args.objects, args.mib, args.s3)


if __name__ == "__main__":
    main()
