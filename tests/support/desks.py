"""Desks for tests and benches (docs/spec/desks-v2.md): a keyring's desks and recovery key
with their private keys in memory (``add_desks``), and the large office config, one central
desk and hundreds of office desks (``office_config``), whose page must stay light."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from functions.keyring import DeskEntry, Keyring, RecoveryEntry, dump, load
from wbs import crypto

CREATED = "2026-11-28"
RECOVERY_LABEL = "Kunci pemulihan"
PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "site" / "config.toml"


@dataclass(frozen=True)
class DeskKeys:
    """A keyring file and the private keys of its desks (the active generation of each,
    created here) and of its recovery key, for a test to open what the page sealed."""

    keyring: Path
    desks: Mapping[str, PrivateKey]
    recovery: PrivateKey

    def identity(self, desk: str) -> crypto.Identity:
        return crypto.Identity(self.desks[desk])

    def recovery_identity(self) -> crypto.Identity:
        return crypto.Identity(self.recovery)

    def kid(self, desk: str) -> str:
        return self.identity(desk).kid


def add_desks(
    keyring: Path,
    desks: Iterable[str] = ("inspektorat",),
    *,
    keys: Mapping[str, PrivateKey] | None = None,
    recovery: PrivateKey | None = None,
) -> DeskKeys:
    """Give the keyring file ``keyring`` (persons only, or none: a new file) the generation 1
    of each desk of ``desks`` (its key from ``keys``, else a new one) and a recovery key (3
    of 5 shares); rewrite it as wbs-keyring/4."""
    ring = load(keyring) if keyring.is_file() else Keyring()
    chosen = dict(keys or {})
    made = {desk: chosen.get(desk) or PrivateKey.generate() for desk in desks}
    recovery = recovery or PrivateKey.generate()
    ring = ring.with_recovery(
        RecoveryEntry.for_public_key(
            bytes(recovery.public_key),
            bytes(SigningKey.generate().verify_key),
            RECOVERY_LABEL,
            CREATED,
            3,
            5,
        )
    )
    for desk, key in made.items():
        ring = ring.with_desk(DeskEntry.for_public_key(desk, 1, bytes(key.public_key), CREATED))
    dump(ring, keyring)
    return DeskKeys(keyring, made, recovery)


# -- one central desk and many office desks ------------------------------------------------------

SYLLABLES = "ba bu ja ka ma na pa ra sa ta wa ya ga la da ng lo mo no po ro so to wo si ri li"
SYLLABLES += " mi ni ti gi ki pi di ce ke le me ne pe re se te be"


def place_names(count: int, seed: int = 14) -> list[str]:
    """``count`` distinct made-up place names of 2 to 4 syllables ("Sukarame"): as varied
    as real ones, so that measuring the page's weight with them is honest."""
    rng = random.Random(seed)  # noqa: S311 (made-up names, the same every run: no secret)
    names: dict[str, None] = {}
    while len(names) < count:
        syllables = SYLLABLES.split()
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        names[word.capitalize()] = None
    return list(names)


DESKS_START = "# Desks (docs/spec/desks-v2.md)"
DESKS_END = "# Deadlines the inspectors' tool tracks"


def _without_desks(text: str) -> str:
    """The project's config without its desks and routing (between the two comments)."""
    start, end = text.index(DESKS_START), text.index(DESKS_END)
    return text[:start] + text[end:]


def office_config(
    path: Path, count: int = 550, *, escalation: bool = False, base: Path = PROJECT_CONFIG
) -> list[str]:
    """Write to ``path`` the project's config plus ``[[desks]]``: ``inspektorat`` (central,
    receiving all) and one desk per office, ``[[offices]]`` of ``count`` regencies and, with
    ``escalation``, a ``pimpinan`` desk. Returns every desk id, central first."""
    lines = [_without_desks(base.read_text(encoding="utf-8")), ""]
    offices = [f"kab-{n:04d}" for n in range(1, count + 1)]
    names = place_names(count)
    lines += ["[[desks]]", 'id = "inspektorat"', 'name.id = "Inspektorat Utama"']
    lines += ['name.en = "Principal Inspectorate"', ""]
    for desk, name in zip(offices, names, strict=True):
        lines += ["[[desks]]", f'id = "{desk}"', f'name.id = "Inspektorat Kabupaten {name}"']
        lines += [f'name.en = "Inspectorate of {name} Regency"', ""]
    if escalation:
        lines += ["[[desks]]", 'id = "pimpinan"', 'name.id = "Pimpinan"', 'name.en = "Leadership"']
        lines.append("")
    lines += ["[routing]", 'central = "inspektorat"', 'central_receives = "all"']
    lines += [f'escalation = "{"pimpinan" if escalation else ""}"', ""]
    for desk, name in zip(offices, names, strict=True):
        lines += ["[[offices]]", f'id = "{desk}"', f'desk = "{desk}"']
        lines += [f'name.id = "KPU Kabupaten {name}"', f'name.en = "KPU of {name} Regency"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return ["inspektorat", *offices, *(["pimpinan"] if escalation else [])]
