"""The API's proof-of-work gate (docs/spec/pow-v1.md): challenges out, proofs checked, each
proof spent once through a create-only marker, old markers swept on a local folder.

The key is read on first use and kept for the life of the process (on Lambda: once per cold
start). A difficulty of 0 turns the check off, for tests of other features and trusted local
experiments only; challenges are still issued (asking no work), so the page works either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from threading import Lock
from typing import Any

from functions.errors import AlreadyExists
from functions.proofs import challenge as fmt
from functions.proofs.challenge import Challenge, ProofError
from functions.storage import LocalStorage, Storage, layout

STAMP = "%Y-%m-%dT%H:%M:%SZ"
DEFAULT_DIFFICULTY = 18


class Proofs:
    def __init__(
        self,
        storage: Storage,
        secret: Callable[[], bytes],
        difficulty: int = DEFAULT_DIFFICULTY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 <= difficulty <= fmt.MAX_SETTING:
            raise ValueError(f"the difficulty must be 0 (off) to {fmt.MAX_SETTING} bits")
        self.storage = storage
        self.difficulty = difficulty
        self.clock = clock
        self._load = secret
        self._secret: bytes | None = None
        self._lock = Lock()

    def __repr__(self) -> str:
        return f"Proofs(difficulty={self.difficulty})"  # never the key

    @property
    def enabled(self) -> bool:
        return self.difficulty > 0

    def challenge(self, action: str) -> dict[str, Any]:
        """``POST /api/challenge``'s answer: ``{"challenge", "difficulty", "expires"}``."""
        issued = fmt.issue(self._key(), action, self.difficulty, self.clock())
        expires = datetime.fromtimestamp(issued.expires, UTC).strftime(STAMP)
        return {"challenge": issued.text, "difficulty": issued.difficulty, "expires": expires}

    def check(self, header: str | None, action: str) -> Challenge | None:
        """The checks that need no storage (spec §4, steps 1 to 7); None when the gate is off."""
        if not self.enabled:
            return None
        return fmt.check(self._key(), header, action, self.difficulty, self.clock())

    def spend(self, proof: Challenge | None) -> None:
        """Write the proof's marker, create-only: the request's first write. A marker that is
        there already means the proof was used: 409 proof_used, and nothing is written."""
        if proof is None:
            return
        try:
            self.storage.put_new(layout.proof(fmt.marker_name(proof)), b"")
        except AlreadyExists:
            raise ProofError(
                HTTPStatus.CONFLICT,
                "proof_used",
                "This proof of work was used already: get a new challenge and send again.",
            ) from None

    def sweep(self, now: datetime) -> int:
        """Remove markers older than a challenge's lifetime (their challenges have all
        expired) from a local folder; S3's lifecycle rule does it for a bucket."""
        if not isinstance(self.storage, LocalStorage):
            return 0
        return self.storage.expire(layout.PROOFS, now - timedelta(seconds=fmt.LIFETIME_SECONDS))

    def _key(self) -> bytes:
        with self._lock:
            if self._secret is None:
                self._secret = self._load()
            return self._secret


def action_of(body: Any) -> str:
    """The action a challenge request names: ``{"action": "report" | "followup"}``."""
    match body:
        case {"action": str(action)} if len(body) == 1 and action in fmt.ACTIONS:
            return action
    raise ProofError(
        HTTPStatus.BAD_REQUEST,
        "bad_request",
        'Ask for a challenge with {"action": "report"} or {"action": "followup"}.',
    )
