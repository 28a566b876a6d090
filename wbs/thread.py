"""A case's thread: its messages decrypted from the cache, in the order they were written.

Order comes from each message's ``sent``, inside the ciphertext, not from storage; a message
whose id was already seen is a replayed copy and is dropped (docs/spec/mailbox-v1.md
section 4). The status is that of the latest status message.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import NamedTuple

from functions import mailbox
from functions.errors import EnvelopeError
from functions.storage.layout import Sender
from wbs import deadlines, statuses
from wbs.cache import Cache
from wbs.crypto import DecryptionError
from wbs.messages import Message, MessageError, decode
from wbs.reports import Reader

# What can go wrong with one message without hiding the others.
UNREADABLE = (EnvelopeError, DecryptionError, MessageError)


class Post(NamedTuple):
    """A readable message and who wrote it (the envelope's kind is bound into its ciphertext)."""

    key: str
    sender: Sender
    message: Message


class Unreadable(NamedTuple):
    key: str
    problem: str


class Thread(NamedTuple):
    posts: tuple[Post, ...]  # by sent, each message id once
    unreadable: tuple[Unreadable, ...]
    replayed: tuple[str, ...]  # keys of dropped copies

    @property
    def changes(self) -> tuple[Post, ...]:
        """The status messages, oldest first."""
        return tuple(p for p in self.posts if p.message.type == "status")

    @property
    def status(self) -> str:
        changes = self.changes
        return changes[-1].message.status if changes else statuses.INITIAL

    @property
    def acknowledged(self) -> bool:
        """Any message from the inspectorate acknowledges the report."""
        return any(p.sender == "inspectorate" for p in self.posts)

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
    """Posts by ``sent`` (storage key breaks ties), without repeated ids; and the dropped keys."""
    kept: list[Post] = []
    dropped: list[str] = []
    seen: set[str] = set()
    for post in sorted(posts, key=lambda p: (p.message.sent, p.key)):
        if post.message.id in seen:
            dropped.append(post.key)
        else:
            seen.add(post.message.id)
            kept.append(post)
    return tuple(kept), tuple(dropped)


def read(cache: Cache, reader: Reader, report_id: str) -> Thread:
    """Decrypt every cached message of a case in memory."""
    posts: list[Post] = []
    unreadable: list[Unreadable] = []
    for key in cache.message_keys(report_id):
        try:
            stored = mailbox.parse(key, cache.read_message(key))
            message = decode(reader.decrypt(stored.envelope), stored.envelope.kind)
        except UNREADABLE as exc:
            unreadable.append(Unreadable(key, str(exc)))
        else:
            posts.append(Post(key, stored.sender, message))
    ordered, replayed = arrange(posts)
    return Thread(ordered, tuple(unreadable), replayed)
