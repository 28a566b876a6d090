"""``[[desks]]``, ``[routing]``, ``[[offices]]`` and ``desks`` on ``[[categories]]``: which
desks receive a report (docs/spec/desks-v2.md section 5)::

    [[desks]]                       # the groups that receive reports; their keys are in
    id = "inspektorat"              # keys/keyring.json (`wbs desks init`)
    name.id = "Inspektorat"
    name.en = "Inspectorate"

    [routing]
    central = "inspektorat"         # the first desk when left out
    central_receives = "all"        # "all": also every report about an office; "none"
    escalation = "pimpinan"         # "" (none): reports about the inspectorate's own staff

    [[offices]]                     # when listed, the page asks which one the matter concerns
    id = "kab-bandung"
    desk = "jabar"
    name.id = "KPU Kabupaten Bandung"
    name.en = "KPU of Bandung Regency"

    [[categories]]
    id = "pengadaan-barang-jasa"
    desks = ["pengadaan"]           # optional: these desks also receive the category

Without ``[[desks]]`` there is one desk, ``inspektorat``. ``routing`` compiles all of it into
the ``wbs-routing/1`` document that the page embeds and the API checks envelopes against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from functions import routing
from functions.envelope import MAX_RECIPIENTS
from functions.keyring import DESK_ID_RE
from wbs.config.errors import ConfigFileError
from wbs.config.fields import Table

HINT = "see the [[desks]], [routing] and [[offices]] examples in site/config.toml"
DESK_FIELDS = frozenset({"id", "name"})
OFFICE_FIELDS = frozenset({"id", "desk", "name"})
ROUTING_FIELDS = frozenset({"central", "central_receives", "escalation"})
ID_TEXT = "an id of 1 to 48 lower-case letters, digits and hyphens, not starting with a hyphen"
DEFAULT_DESK_NAMES = {"id": "Inspektorat", "en": "Inspectorate"}
DEFAULT_DESK = "inspektorat"
# A report's envelope holds a stanza per routed desk, one for the recovery key and, for a
# follow-up, one for the reporter: the desks of one route must leave room for those two.
MAX_ROUTED = MAX_RECIPIENTS - 2


@dataclass(frozen=True)
class Desk:
    id: str
    names: Mapping[str, str]  # by language


@dataclass(frozen=True)
class Office:
    id: str
    desk: str
    names: Mapping[str, str]  # by language


@dataclass(frozen=True)
class Desks:
    """The desks, in the file's order, and the rules that route a report to some of them."""

    desks: tuple[Desk, ...]
    central: str
    central_receives: str = "all"
    escalation: str | None = None
    offices: tuple[Office, ...] = ()
    categories: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (category id, desk ids)
    listed: bool = True  # False: the file has no [[desks]], the default desk applies

    def desk(self, desk_id: str) -> Desk:
        return next(d for d in self.desks if d.id == desk_id)

    def document(self) -> dict[str, Any]:
        """The ``wbs-routing/1`` document (docs/spec/desks-v2.md section 5)."""
        return self.rules().to_json()

    def rules(self) -> routing.Routing:
        return routing.Routing(
            central=self.central,
            central_receives=self.central_receives,
            escalation=self.escalation,
            offices=tuple((o.id, o.desk) for o in self.offices),
            categories=self.categories,
        )


def parse(top: Table, languages: tuple[str, ...], known: Mapping[str, str]) -> Desks:
    """The desks and their routing; ``languages`` are the site's, ``known`` every language a
    name may be given in."""
    desks = _desks(top, languages, known)
    ids = [d.id for d in desks]
    table = top.table("routing", ROUTING_FIELDS, HINT)
    rules = table or Table(top.path, "routing", {}, HINT)
    central = _desk_ref(rules, "central", ids, default=ids[0])
    receives = rules.values.get("central_receives", "all")
    if receives not in routing.RECEIVES:
        raise rules.error("central_receives", 'must be "all" or "none"')
    escalation = _desk_ref(rules, "escalation", ids, default="", optional=True) or None
    if escalation == central:
        raise rules.error(
            "escalation",
            "must be another desk than routing.central: it receives what concerns the "
            "central desk's own staff",
        )
    offices = _offices(top, ids, languages, known)
    handling = next((o for o in offices if o.desk == escalation), None)
    if handling is not None:
        raise rules.error(
            "escalation",
            f"must not be the desk of an office ({handling.id!r}): it receives what concerns "
            "the regular desks' own staff",
        )
    found = Desks(
        desks,
        central,
        receives,
        escalation,
        offices,
        _category_desks(top, ids),
        listed="desks" in top.values,
    )
    _check_size(top, found)
    return found


def _desks(top: Table, languages: tuple[str, ...], known: Mapping[str, str]) -> tuple[Desk, ...]:
    if "desks" not in top.values:
        return (Desk(DEFAULT_DESK, {lang: DEFAULT_DESK_NAMES[lang] for lang in languages}),)
    desks: list[Desk] = []
    for table in _entries(top, "desks", DESK_FIELDS):
        desk = Desk(_id(table), table.translated("name", languages, known))
        if any(d.id == desk.id for d in desks):
            raise table.error("id", f"{desk.id!r} appears twice")
        desks.append(desk)
    return tuple(desks)


def _offices(
    top: Table, desks: list[str], languages: tuple[str, ...], known: Mapping[str, str]
) -> tuple[Office, ...]:
    offices: dict[str, Office] = {}
    for table in _entries(top, "offices", OFFICE_FIELDS, least=0):
        office = Office(
            _id(table), _desk_ref(table, "desk", desks), table.translated("name", languages, known)
        )
        if office.id in offices:
            raise table.error("id", f"{office.id!r} appears twice")
        offices[office.id] = office
    if len(offices) > routing.MAX_OFFICES:
        raise top.error("offices", f"may list at most {routing.MAX_OFFICES} offices")
    return tuple(offices.values())


def _category_desks(top: Table, desks: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``desks = [...]`` of each ``[[categories]]`` entry that has one (the rest of the entry
    is wbs.config.site's to check)."""
    rules: list[tuple[str, tuple[str, ...]]] = []
    entries = top.values.get("categories")
    for n, entry in enumerate(entries if isinstance(entries, list) else [], 1):
        if not isinstance(entry, dict) or "desks" not in entry:
            continue
        table = top.inner(f"categories[{n}]", entry)
        category = table.values.get("id")
        if not isinstance(category, str) or not DESK_ID_RE.fullmatch(category):
            raise table.error("id", f"must be {ID_TEXT}, to route it to desks")
        value = table.values["desks"]
        if not isinstance(value, list) or not value:
            raise table.error("desks", 'must list desk ids: desks = ["pengadaan"]')
        for desk in value:
            if not isinstance(desk, str) or desk not in desks:
                raise _unknown(table, "desks", desk, desks)
        named = tuple(value)
        if len(set(named)) != len(named):
            raise table.error("desks", "names a desk twice")
        rules.append((category, named))
    return tuple(rules)


def _check_size(top: Table, desks: Desks) -> None:
    """No answers may route a report to more desks than an envelope has room for."""
    largest = max(desks.rules().desk_sets(), key=len)
    if len(largest) > MAX_ROUTED:
        raise top.error(
            "categories",
            f": a report could go to {len(largest)} desks ({', '.join(sorted(largest))}); "
            f"at most {MAX_ROUTED} fit in an envelope beside the recovery key and the reporter",
        )


def _entries(top: Table, name: str, fields: frozenset[str], least: int = 1) -> list[Table]:
    """The tables of ``[[name]]``, each with only ``fields``."""
    value = top.values.get(name, [])
    if not isinstance(value, list) or len(value) < least:
        raise top.error(name, f"must be [[{name}]] tables" + (", at least one" if least else ""))
    tables: list[Table] = []
    for n, entry in enumerate(value, 1):
        where = f"{name}[{n}]"
        if not isinstance(entry, dict):
            raise top.error(where, "must be a table")
        table = top.inner(where, entry)
        table.only(fields)
        tables.append(table)
    return tables


def _id(table: Table) -> str:
    return table.matching("id", DESK_ID_RE, ID_TEXT, optional=False)


def _desk_ref(
    table: Table, name: str, desks: list[str], *, default: str | None = None, optional: bool = False
) -> str:
    """A desk id that ``[[desks]]`` lists ("" for none, when ``optional``)."""
    value = table.values.get(name, default)
    if optional and value == "":
        return ""
    if not isinstance(value, str) or value not in desks:
        raise _unknown(table, name, value, desks)
    return value


def _unknown(table: Table, name: str, value: object, desks: list[str]) -> ConfigFileError:
    return table.error(
        name, f"names the desk {value!r}, which is not one of the [[desks]]: {', '.join(desks)}"
    )
