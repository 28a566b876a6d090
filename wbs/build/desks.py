"""What the pages take from the desks (docs/spec/desks-v2.md): the keys a report and a
follow-up are sealed to, the signing keys replies are checked against, and the routing rules
with the offices a reporter chooses from.

Two JSON data blocks (``<script type="application/json">``: data, never run, so the
Content-Security-Policy has nothing to allow) carry them:

- ``#wbs-keys``, on every page: ``{"desks": {id: {"name", "public_key"}}, "recovery":
  {"label", "public_key"}, "signers": {kid: Ed25519 public key}}``; the active generation of
  every desk of the keyring, named in the page's language;
- ``#wbs-routing``, on the report page: the ``wbs-routing/1`` document, exactly as the API
  gets it (the build also writes it to ``routing.json`` in the site).

Key ids and fingerprints are not embedded: the page computes them from the public keys
(BLAKE2b-256), which keeps the page light with hundreds of desks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions import routing
from functions.keyring import Keyring, RecoveryEntry, grouped
from wbs.build.errors import BuildError
from wbs.config.desks import Desks

KEYS_ELEMENT = "wbs-keys"
ROUTING_ELEMENT = "wbs-routing"
ROUTING_FILE = "routing.json"
HINT = "create the config's desks and the recovery key: wbs desks init"
RECOVERY = "recovery"  # the recovery key's name in sealed_to and embedded_keys
KEYS_RE = re.compile(rf'<script type="application/json" id="{KEYS_ELEMENT}">(.*?)</script>', re.S)


@dataclass(frozen=True)
class DeskData:
    """The desks' part of every page, built once for all languages."""

    ring: Keyring
    recovery: RecoveryEntry  # the keyring's
    desks: Desks

    def keys(self, lang: str) -> dict[str, Any]:
        """``#wbs-keys``: what the pages seal to and check signatures against."""
        names = {d.id: d.names[lang] for d in self.desks.desks}
        recovery = self.recovery
        return {
            "desks": {
                d.desk: {"name": names.get(d.desk, d.desk), "public_key": d.public_key}
                for d in self.ring.active_desks()
            },
            "recovery": {"label": recovery.label, "public_key": recovery.public_key},
            # Persons only, retired ones included: what they signed stays theirs
            # (signature-v2 section 4). The recovery key signs grants, never a reply.
            "signers": {k.kid: k.signing_key for k in self.ring.keys if k.signing_key},
        }

    def panel(self, lang: str) -> dict[str, Any]:
        """What "Who can read your report" shows before any answer, and the words the
        routing questions need."""
        recovery = self.recovery
        desks = self.desks
        first = desks.rules().route(routing.NO_OFFICE, False, "")
        escalation = desks.escalation
        return {
            "route": [self._shown(d, lang) for d in sorted(first, key=self._order)],
            "recovery": {
                "label": recovery.label,
                "fp": grouped(recovery.fingerprint),
                "threshold": recovery.threshold,
                "shares": recovery.shares,
            },
            "central": desks.desk(desks.central).names[lang],
            "central_receives": desks.central_receives == "all",
            "escalation": desks.desk(escalation).names[lang] if escalation else "",
            "offices": [{"id": o.id, "name": o.names[lang]} for o in desks.offices],
        }

    def _order(self, desk_id: str) -> int:
        return [d.id for d in self.desks.desks].index(desk_id)

    def _shown(self, desk_id: str, lang: str) -> dict[str, str]:
        return {
            "id": desk_id,
            "name": self.desks.desk(desk_id).names[lang],
            "fp": grouped(self.ring.desk(desk_id).fingerprint),
        }


def check(ring: Keyring, desks: Desks, keyring: Path, config: Path) -> DeskData:
    """Refuse a keyring the page could not seal a report with: no desk, no recovery key, no
    key for a desk of the config (named by its field), or a routed desk whose active key is
    hybrid (X-Wing), which the page cannot seal to yet: never a page that seals to a desk
    otherwise than the keyring says."""
    recovery = ring.recovery
    if not ring.desks or recovery is None:
        raise BuildError(
            f"{keyring} has no desks or no recovery key: reports are sealed to desks "
            "(docs/spec/desks-v2.md)",
            hint=HINT,
        )
    have = {d.desk for d in ring.active_desks()}
    for n, desk in enumerate(desks.desks, 1):
        if desk.id not in have:
            where = f"{config}: desks[{n}]" if desks.listed else "the config's default desk"
            raise BuildError(f"{where} {desk.id!r} has no active key in {keyring}", hint=HINT)
    routed = {d.id for d in desks.desks}
    hybrid = sorted(d.desk for d in ring.active_desks() if d.hybrid and d.desk in routed)
    if hybrid:
        raise BuildError(
            f"desk {hybrid[0]!r} of {keyring} has a hybrid (X-Wing) key, which the reporting"
            " page cannot seal to yet",
            hint="the page's X-Wing support is the next step of issue 18; until then keep"
            " routed desks classical (a hybrid desk cannot be rotated back)",
        )
    return DeskData(ring, recovery, desks)


def routing_file(desks: Desks) -> bytes:
    """``routing.json``: the document the page embeds, for the API (WBS_ROUTING)."""
    return (json.dumps(desks.document(), indent=2, sort_keys=True) + "\n").encode("ascii")


def sealed_to(ring: Keyring) -> dict[str, str]:
    """What a page built for ``ring`` seals to: the active public key of each desk, by desk
    id, and the recovery key's (named ``recovery``)."""
    keys = {d.desk: d.public_key for d in ring.active_desks()}
    if ring.recovery is not None:
        keys[RECOVERY] = ring.recovery.public_key
    return keys


def embedded_keys(page: str) -> dict[str, str] | None:
    """The keys a built page seals to, as ``sealed_to`` names them, read from its #wbs-keys
    block; None when the page has none, or not one the build writes (for ``wbs deploy``'s
    check of a built site against the keyring)."""
    found = KEYS_RE.search(page)
    if found is None:
        return None
    try:
        data = json.loads(found[1])
        keys = {desk: str(entry["public_key"]) for desk, entry in data["desks"].items()}
        keys[RECOVERY] = str(data["recovery"]["public_key"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return keys
