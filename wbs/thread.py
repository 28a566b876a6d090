"""A case's thread: its messages decrypted from the cache, in the order they were stored.

Order comes from the time in each message's storage name (for a reporter's follow-up, the
server's clock when it stored it), never from the ``sent`` its writer sealed inside, which is
shown, and flagged when it strays from the stored time. A copy is dropped only when the same
sender stored the very same sealed bytes twice: two messages that merely share an id are
both kept, so neither side can hide the other's (docs/spec/mailbox-v1.md section 4).

A message counts only when its signature checks out (docs/spec/signature-v2.md): an
inspector's against the keyring, a reporter's follow-up against the signing key its report
registers. An unverified one is shown, flagged, and sets no status, and acknowledges and
answers nothing. The status is that of the latest verified status message.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from typing import NamedTuple

from functions import mailbox
from functions.errors import EnvelopeError
from functions.signature import REPORTER
from functions.storage import layout
from functions.storage.layout import Sender
from wbs import deadlines, statuses
from wbs.cache import Cache
from wbs.crypto import DecryptionError
from wbs.messages import Message, MessageError, decode
from wbs.reports import Reader

# What can go wrong with one message without hiding the others.
UNREADABLE = (EnvelopeError, DecryptionError, MessageError)
# How far a message's own ``sent`` may be from the time it was stored before it is flagged:
# clocks drift, and a message is sealed a moment before it is stored.
STRAY = datetime.timedelta(minutes=10)


class Post(NamedTuple):
    """A readable message and who wrote it (the envelope's kind is bound into its ciphertext),
    when it was stored, and the digest of its sealed bytes."""

    key: str
    sender: Sender
    message: Message
    stored: datetime.datetime
    sealed: str  # SHA-256 of the envelope's nonce and ciphertext: its sealed bytes
    unverified: str = ""  # why its signature does not check out; "" when it does

    @property
    def strays(self) -> bool:
        """The time its writer sealed inside is far from the time it was stored."""
        return abs(self.message.sent - self.stored) > STRAY


class Unreadable(NamedTuple):
    key: str
    problem: str


class Thread(NamedTuple):
    posts: tuple[Post, ...]  # in the order they were stored, each sealed copy once
    unreadable: tuple[Unreadable, ...]
    replayed: tuple[str, ...]  # keys of dropped copies

    @property
    def counted(self) -> tuple[Post, ...]:
        """The messages that count: every verified one."""
        return tuple(p for p in self.posts if not p.unverified)

    @property
    def changes(self) -> tuple[Post, ...]:
        """The verified status messages, oldest first."""
        return tuple(p for p in self.counted if p.message.type == "status")

    @property
    def status(self) -> str:
        changes = self.changes
        return changes[-1].message.status if changes else statuses.INITIAL

    @property
    def acknowledged(self) -> bool:
        """Any verified message from the inspectorate acknowledges the report."""
        return any(p.sender == "inspectorate" for p in self.counted)

    @property
    def feedback_given(self) -> bool:
        return any(p.message.status in statuses.FEEDBACK for p in self.changes)

    def due(
        self, received: datetime.datetime, today: datetime.date, rules: deadlines.Rules
    ) -> deadlines.Due | None:
        """What the case owes the reporter next; days count on this machine's calendar."""
        return deadlines.next_due(
            received.astimezone().date(),
            acknowledged=self.acknowledged,
            feedback_given=self.feedback_given,
            today=today,
            rules=rules,
        )


def arrange(posts: Iterable[Post]) -> tuple[tuple[Post, ...], tuple[str, ...]]:
    """Posts in the order they were stored (the key breaks ties), without a second copy of
    the same sealed bytes from the same sender; and the dropped keys."""
    kept: list[Post] = []
    dropped: list[str] = []
    seen: set[tuple[str, str]] = set()
    for post in sorted(posts, key=lambda p: (p.stored, p.key)):
        if (post.sender, post.sealed) in seen:
            dropped.append(post.key)
        else:
            seen.add((post.sender, post.sealed))
            kept.append(post)
    return tuple(kept), tuple(dropped)


def read(cache: Cache, reader: Reader, report_id: str, reporter_key: str = "") -> Thread:
    """Decrypt every cached message of a case in memory and check its signature;
    ``reporter_key`` is the report's ``reporter_signing_key`` (without it, no follow-up is
    verified)."""
    signers = reader.signers.with_reporter(reporter_key)
    posts: list[Post] = []
    unreadable: list[Unreadable] = []
    for key in cache.message_keys(report_id):
        try:
            stored = mailbox.parse(key, cache.read_message(key))
            message = decode(reader.decrypt(stored.envelope), stored.envelope.kind)
        except UNREADABLE as exc:
            unreadable.append(Unreadable(key, str(exc)))
        else:
            sealed = hashlib.sha256(stored.envelope.nonce + stored.envelope.ciphertext).hexdigest()
            author = message.by if stored.sender == "inspectorate" else REPORTER
            unverified = signers.check(stored.envelope, stored.signature, author)
            posts.append(Post(key, stored.sender, message, _stored_at(key), sealed, unverified))
    ordered, replayed = arrange(posts)
    return Thread(ordered, tuple(unreadable), replayed)


def _stored_at(key: str) -> datetime.datetime:
    """The time in a cached message's name (the cache holds only well-named messages)."""
    moment = layout.stored_at(key)
    if moment is None:
        raise ValueError(f"not a message's key: {key}")
    return moment
