"""Replies, notes and a status change's note being typed, kept per case in this process's
memory across the idle lock.

Each draft is sealed (PyNaCl ``SealedBox``, as wbs/crypto.py seals) to the inspector's own
public key the moment it is kept: while the key is locked nothing here can be read, by this
process or by whoever reads its memory, and the unlocked key opens it again. Nothing is
written to disk or to the browser's storage. docs/workbench.md, "Drafts and the idle lock".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from nacl.public import PublicKey, SealedBox

from wbs.crypto import Identity

# The case page's forms whose text is kept, and the field that holds it: the reply, the
# internal note, and the status change's note for the reporter.
FIELDS = {"reply": "text", "note": "text", "status": "note"}
FORMS = tuple(FIELDS)
# After a form is sent, a draft of it arriving within this many seconds is a save that was
# already on its way (workbench.js saves a second after typing): it must not bring back the
# text just sent.
SETTLE_SECONDS = 3.0


class Drafts:
    """The sealed drafts, by (case, form)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.sealed: dict[tuple[str, str], bytes] = {}  # by (case, form)
        self.clock = clock
        self._sent: dict[tuple[str, str], float] = {}  # when each form was last sent
        self._lock = threading.Lock()

    def keep(self, identity: Identity, case: str, form: str, text: str) -> bool:
        """Keep ``text`` as the draft of ``form`` ("" forgets it); False if it was kept
        already, unchanged, or the form was sent a moment ago (a save that was on its way)."""
        if self.clock() - self._sent.get((case, form), -SETTLE_SECONDS) < SETTLE_SECONDS:
            return False
        if text == self.read(identity, case, form):
            return False
        sealed = SealedBox(PublicKey(identity.public_key)).encrypt(text.encode("utf-8"))
        with self._lock:
            if text:
                self.sealed[(case, form)] = sealed
            else:
                self.sealed.pop((case, form), None)
        return True

    def read(self, identity: Identity, case: str, form: str) -> str:
        sealed = self.sealed.get((case, form))
        return "" if sealed is None else identity.unsealer().decrypt(sealed).decode("utf-8")

    def of(self, identity: Identity, case: str) -> dict[str, str]:
        """The case's drafts, by form."""
        found = {form: self.read(identity, case, form) for form in FORMS}
        return {form: text for form, text in found.items() if text}

    def forget(self, case: str, form: str) -> None:
        """The form was sent: drop its draft, and any save of it still on its way."""
        with self._lock:
            self.sealed.pop((case, form), None)
            self._sent[(case, form)] = self.clock()
