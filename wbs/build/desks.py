"""What the pages take from the desks (docs/spec/desks-v2.md): the keys a report and a
follow-up are sealed to, the signing keys replies are checked against, and the routing rules
with the offices a reporter chooses from.

Two JSON data blocks (``<script type="application/json">``: data, never run, so the
Content-Security-Policy has nothing to allow) carry them:

- ``#wbs-keys``, on every page: ``{"desks": {id: {"name", "public_key"}}, "recovery":
  {"label", "public_key"}, "signers": {kid: Ed25519 public key}}``; the active generation of
  every desk of the keyring, named in the page's language. A hybrid (X-Wing) generation is
  ``{"name", "type": "X-Wing", "fingerprint"}`` instead, and the recovery entry then also has
  ``"xwing_fingerprint"``: their 1216-byte public keys are not embedded but written to
  ``assets/keys/<kid>.bin`` (``key_files``), which the page fetches at send time and checks
  against the embedded fingerprint (docs/spec/xwing-v1.md section 8.8);
- ``#wbs-routing``, on the report page: the ``wbs-routing/1`` document, exactly as the API
  gets it (the build also writes it to ``routing.json`` in the site).

Key ids and fingerprints of X25519 keys are not embedded: the page computes them from the
public keys (BLAKE2b-256), which keeps the page light with hundreds of desks; an X-Wing key's
fingerprint is embedded in its place (32 bytes, not 1216).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions import routing
from functions.keyring import DeskEntry, Keyring, RecoveryEntry, fingerprint, grouped
from wbs.build.errors import BuildError
from wbs.config.desks import Desks

KEYS_ELEMENT = "wbs-keys"
ROUTING_ELEMENT = "wbs-routing"
XWING_ELEMENT = "wbs-xwing"  # xwing.mjs's modules and their integrity, beside a hybrid desk
ROUTING_FILE = "routing.json"
HINT = "create the config's desks and the recovery key: wbs desks init"
RECOVERY = "recovery"  # the recovery key's name in sealed_to and embedded_keys
RECOVERY_XWING = "recovery/X-Wing"  # its X-Wing key's, when a desk is hybrid
KEY_FILES = "assets/keys/"  # hybrid public keys, fetched by the page at send time
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
        recovery: dict[str, str] = {
            "label": self.recovery.label,
            "public_key": self.recovery.public_key,
        }
        xwing = recovery_xwing_fingerprint(self.ring)
        if xwing:
            recovery["xwing_fingerprint"] = xwing
        return {
            "desks": {
                d.desk: {"name": names.get(d.desk, d.desk), **_embedded(d)}
                for d in self.ring.active_desks()
            },
            "recovery": recovery,
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
    key for a desk of the config (named by its field): never a page that seals to a desk
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
    return DeskData(ring, recovery, desks)


def _embedded(desk: DeskEntry) -> dict[str, str]:
    """A desk's key as the page embeds it: the X25519 public key, or an X-Wing key's
    fingerprint (its public key is a key file)."""
    if desk.hybrid:
        return {"type": desk.type, "fingerprint": desk.fingerprint}
    return {"public_key": desk.public_key}


def recovery_xwing_fingerprint(ring: Keyring) -> str | None:
    """The fingerprint of the recovery key's X-Wing key when a desk is hybrid (the page then
    seals the recovery stanza with X-Wing, xwing-v1 section 8.4), else None."""
    xwing_key = None if ring.recovery is None else ring.recovery.xwing_key_bytes
    if xwing_key is None or not any(d.hybrid for d in ring.active_desks()):
        return None
    return fingerprint(xwing_key)


def key_files(ring: Keyring) -> dict[str, bytes]:
    """``assets/keys/<kid>.bin``: the raw 1216-byte public key of every hybrid active desk
    generation and, beside one, of the recovery key's X-Wing key."""
    keys = [d.public_key_bytes for d in ring.active_desks() if d.hybrid]
    recovery = None if ring.recovery is None else ring.recovery.xwing_key_bytes
    if keys and recovery is not None:
        keys.append(recovery)
    return {f"{KEY_FILES}{fingerprint(key)[:16]}.bin": key for key in keys}


def routing_file(desks: Desks) -> bytes:
    """``routing.json``: the document the page embeds, for the API (WBS_ROUTING)."""
    return (json.dumps(desks.document(), indent=2, sort_keys=True) + "\n").encode("ascii")


def sealed_to(ring: Keyring) -> dict[str, str]:
    """What a page built for ``ring`` seals to: the active public key of each desk (an X-Wing
    key's fingerprint), by desk id, and the recovery key's (named ``recovery``, and its
    X-Wing fingerprint ``recovery/X-Wing`` beside a hybrid desk)."""
    keys = {d.desk: d.fingerprint if d.hybrid else d.public_key for d in ring.active_desks()}
    if ring.recovery is not None:
        keys[RECOVERY] = ring.recovery.public_key
    xwing = recovery_xwing_fingerprint(ring)
    if xwing:
        keys[RECOVERY_XWING] = xwing
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
        keys = {
            desk: str(entry["fingerprint"] if "fingerprint" in entry else entry["public_key"])
            for desk, entry in data["desks"].items()
        }
        keys[RECOVERY] = str(data["recovery"]["public_key"])
        if "xwing_fingerprint" in data["recovery"]:
            keys[RECOVERY_XWING] = str(data["recovery"]["xwing_fingerprint"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return keys
