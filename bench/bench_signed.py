"""Reading signed messages, as a ratio to raw decryption plus raw signature checks.

    .venv/bin/python bench/bench_signed.py [--messages 10000] [--per-case 10]

Writes N replies, each sealed to one inspector key and signed by another inspector's
Ed25519 key (docs/spec/signature-v2.md), into a local store (in a temporary WBS_HOME), in
cases of --per-case messages; syncs them into the ciphertext cache as `wbs inbox sync` does,
then measures in the same run:

  raw      PyNaCl's SealedBox.decrypt of N sealed 32-byte content keys, plus VerifyKey.verify
           of N signatures over messages of the same length: the floor of any reader;
  reading  the inspector's reading of every case's thread (wbs.thread.read): read each cached
           file, parse and check the stored JSON and the envelope, unseal, decrypt, unpad,
           parse the message, check its signature against the keyring, order the thread.

Each is timed over several rounds and the best round counts. Target: reading/raw >= 0.5.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
import time
from pathlib import Path

import nacl.utils
from bench_decrypt import TARGET, best_rate  # this folder: the same rounds and target
from nacl.public import PublicKey, SealedBox

from functions import mailbox
from functions.keyring import KeyEntry, Keyring
from functions.signature import signed_bytes
from functions.storage import LocalStorage
from wbs import keyfile, messages, thread
from wbs.cache import Cache
from wbs.crypto import Recipient, new_report_id, seal
from wbs.reports import Reader
from wbs.signing import Signers, sign


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--per-case", type=int, default=10)
    args = parser.parse_args()
    count, per_case = args.messages, args.per_case

    with tempfile.TemporaryDirectory(prefix="wbs-bench-") as tmp:
        os.environ["WBS_HOME"] = str(Path(tmp) / "home")
        reader_identity, writer = keyfile.generate(), keyfile.generate()
        ring = Keyring(
            tuple(
                KeyEntry.for_public_key(who.public_key, label, "2026-01-01", who.verify_key)
                for who, label in ((reader_identity, "Pembaca"), (writer, "Penulis"))
            )
        )
        to = [Recipient(reader_identity.public_key)]
        store = LocalStorage(Path(tmp) / "storage")
        start = time.perf_counter()
        cases: list[str] = []
        now = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
        for n in range(count):
            if n % per_case == 0:
                cases.append(new_report_id())
            text = f"Balasan nomor {n}: mohon kirimkan bukti tambahan."
            message = messages.new("message", by=writer.kid, now=now, text=text)
            envelope = seal("reply", cases[-1], messages.encode(message), to)
            moment = now + datetime.timedelta(seconds=n)
            mailbox.post(store, cases[-1], "inspectorate", envelope, moment, sign(writer, envelope))
        written = time.perf_counter() - start

        cache = Cache.for_storage(f"local:{store.root}")
        for key in cache.missing_messages(store):
            cache.fetch_message(store, key)
        assert len(cache.message_keys()) == count

        # (a) raw: unseal N content keys and check N signatures over same-length messages.
        unsealer = reader_identity.unsealer()
        sealer = SealedBox(PublicKey(reader_identity.public_key))
        sealed_keys = [sealer.encrypt(nacl.utils.random(32)) for _ in range(count)]
        stored = [mailbox.parse(k, cache.read_message(k)) for k in cache.message_keys()]
        assert writer.signing_key is not None
        verify_key = writer.signing_key.verify_key
        pairs = []
        for item in stored:
            data = signed_bytes(item.envelope, writer.kid)
            pairs.append((data, writer.signing_key.sign(data).signature))

        def raw() -> None:
            for sealed in sealed_keys:
                unsealer.decrypt(sealed)
            for data, signature in pairs:
                verify_key.verify(data, signature)

        # (b) the inspector's reading of every thread, signatures checked.
        reader = Reader(reader_identity, Signers(ring))

        def reading() -> None:
            for case in cases:
                read = thread.read(cache, reader, case)
                assert len(read.counted) == len(read.posts)  # every one verified

        raw_rate = best_rate(count, raw)
        reading_rate = best_rate(count, reading)

    ratio = reading_rate / raw_rate
    print(f"messages                 {count:>10,}  ({len(cases):,} cases)")
    print(f"written to local store   {written:>10.2f} s")
    print(f"raw unseal + verify      {raw_rate:>10,.0f} /s")
    print(f"reading, verified        {reading_rate:>10,.0f} /s")
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(f"ratio reading/raw        {ratio:>10.2f}   (target >= {TARGET}: {verdict})")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
