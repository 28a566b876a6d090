"""Routing rules, wbs-routing/1 (docs/spec/desks-v2.md section 4): which desks a report is
sealed to, from the config and the reporter's answers.

The build compiles the config into this document and embeds it in the page, whose
``routing.mjs`` runs the same ``route``; the API reads the same document and accepts a report
only if its recipients are what ``route`` gives for some answers. Pure data: no key here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from functions.errors import WbsError
from functions.keyring import DESK_ID_RE, Keyring

FORMAT = "wbs-routing/1"
FIELDS = frozenset({"format", "central", "central_receives", "escalation", "offices", "categories"})
RECEIVES = ("all", "none")
NO_OFFICE = ""  # the reporter did not choose an office (or chose the central one)
MAX_OFFICES = 5000


class RoutingError(WbsError, ValueError):
    """A routing document is malformed, or names a desk the keyring does not have."""


@dataclass(frozen=True)
class Routing:
    central: str
    central_receives: str = "all"
    escalation: str | None = None
    offices: tuple[tuple[str, str], ...] = ()  # (office id, desk id)
    categories: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    @cached_property
    def _office_desks(self) -> dict[str, str]:
        return dict(self.offices)

    @cached_property
    def _category_desks(self) -> dict[str, tuple[str, ...]]:
        return dict(self.categories)

    def route(self, office: str, concerns_staff: bool, category: str) -> frozenset[str]:
        """The desk ids a report with these answers is sealed to."""
        if concerns_staff and self.escalation is not None:
            return frozenset({self.escalation})
        desk = self._office_desks.get(office)
        if desk is None or desk == self.central:
            desks = {self.central}
        else:
            desks = {desk} | ({self.central} if self.central_receives == "all" else set())
        return frozenset(desks | set(self._category_desks.get(category, ())))

    def desk_sets(self) -> frozenset[frozenset[str]]:
        """Every set of desks ``route`` can give, whatever the answers."""
        offices = (NO_OFFICE, *self._office_desks)
        staff = (False, True) if self.escalation is not None else (False,)
        categories = (NO_OFFICE, *self._category_desks)  # "" stands for any other category
        return frozenset(self.route(o, s, c) for o in offices for s in staff for c in categories)

    def desk_ids(self) -> frozenset[str]:
        """Every desk the rules name."""
        named = {self.central, *self._office_desks.values()}
        named |= {d for desks in self._category_desks.values() for d in desks}
        return frozenset(named | ({self.escalation} if self.escalation else set()))

    def allowed(self, ring: Keyring) -> frozenset[frozenset[str]]:
        """The recipient key-id sets a report may be sealed to: the active generation of
        each routed desk, and the recovery key (its X-Wing kid when a desk of the set is
        hybrid, docs/spec/xwing-v1.md section 8.4)."""
        active = {d.desk: d.kid for d in ring.active_desks()}  # once: hundreds of desks
        missing = sorted(d for d in self.desk_ids() if d not in active)
        if missing or ring.recovery is None:
            raise RoutingError(
                f"the routing names desk {missing[0]!r}, which the keyring does not have"
                " (or has retired)"
                if missing
                else "the keyring has no recovery key",
                hint="create the config's desks: `wbs desks init`, or `wbs desks new`",
            )
        hybrid = {d.desk for d in ring.active_desks() if d.hybrid}
        return frozenset(
            frozenset({ring.recovery_kid(bool(hybrid & desks)), *(active[d] for d in desks)})
            for desks in self.desk_sets()
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "central": self.central,
            "central_receives": self.central_receives,
            "escalation": self.escalation,
            "offices": [{"id": o, "desk": d} for o, d in self.offices],
            "categories": {c: list(desks) for c, desks in self.categories},
        }


def single(ring: Keyring) -> Routing:
    """The rules when none are configured: every report goes to the keyring's only desk."""
    desks = tuple(d.desk for d in ring.active_desks())  # a retired desk gets nothing new
    if len(desks) != 1:
        raise RoutingError(
            f"the keyring has {len(desks)} desks but no routing rules say which gets a report",
            hint="set WBS_ROUTING to the routing.json that `wbs build` writes beside the site",
        )
    return Routing(central=desks[0])


def parse(data: object, *, source: str = "routing") -> Routing:
    if not isinstance(data, dict) or set(data) != FIELDS or data["format"] != FORMAT:
        raise RoutingError(f"{source} is not a {FORMAT} document")
    central, escalation = data["central"], data["escalation"]
    _desk_id(central, f"{source}: central")
    if escalation is not None:
        _desk_id(escalation, f"{source}: escalation")
    if data["central_receives"] not in RECEIVES:
        raise RoutingError(f"{source}: central_receives must be one of {', '.join(RECEIVES)}")
    offices = data["offices"]
    if not isinstance(offices, list) or len(offices) > MAX_OFFICES:
        raise RoutingError(f"{source}: offices must be a list of at most {MAX_OFFICES}")
    pairs: list[tuple[str, str]] = []
    for n, office in enumerate(offices, 1):
        if not isinstance(office, dict) or set(office) != {"id", "desk"}:
            raise RoutingError(f"{source}: office {n} must have exactly id and desk")
        _desk_id(office["id"], f"{source}: office {n} id")
        _desk_id(office["desk"], f"{source}: office {n} desk")
        pairs.append((office["id"], office["desk"]))
    if len(dict(pairs)) != len(pairs):
        raise RoutingError(f"{source}: two offices have one id")
    categories = data["categories"]
    if not isinstance(categories, dict):
        raise RoutingError(f"{source}: categories must be an object")
    rules: list[tuple[str, tuple[str, ...]]] = []
    for category, desks in categories.items():
        _desk_id(category, f"{source}: category")
        if not isinstance(desks, list) or not desks:
            raise RoutingError(f"{source}: category {category} must list its desks")
        for desk in desks:
            _desk_id(desk, f"{source}: category {category}")
        rules.append((category, tuple(desks)))
    return Routing(central, data["central_receives"], escalation, tuple(pairs), tuple(rules))


def load(path: Path) -> Routing:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RoutingError(
            f"no routing rules at {path}", hint="`wbs build` writes them beside the site"
        ) from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise RoutingError(f"{path} is not valid JSON") from None
    return parse(data, source=str(path))


def _desk_id(value: object, where: str) -> None:
    if not isinstance(value, str) or not DESK_ID_RE.fullmatch(value):
        raise RoutingError(f"{where} must match {DESK_ID_RE.pattern}")
