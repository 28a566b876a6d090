"""Who can read a case, and whom what an inspector writes on it is sealed to
(docs/spec/desks-v2.md).

A case belongs to desks: those its report is sealed to (the desk generations its stanzas
name, found with ``keyring.desk_of``) and those it was shared with by a share that counts
(docs/spec/desks-v2.md section 6.5: a case grant signed by the recovery key or by a rooted
member of the active generation of one of the case's desks). Its readers are the members of
those desk generations as others can tell them (section 3.6: grants rooted at the recovery
key or the generation's founder, ``functions.membership``) and the recovery key. Everything
here is read from the keyring and the cached grants, without opening anything: it explains a
case this inspector cannot open, and shows on every case who else can.

What an inspector writes on a case (a reply, a status change, a note, an access record) is
sealed to the *active* generation of each of its desks and to the recovery key, never to a
person; the writer must hold one of those keys, or could not read what it writes.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from functions import membership
from functions.errors import EnvelopeError, WbsError
from functions.keyring import DeskEntry, Keyring, RecoveryEntry
from wbs import registration
from wbs.cache import Cache
from wbs.crypto import Recipient, Sealable
from wbs.desks import grants
from wbs.reports import Reader, parse_stored
from wbs.xwing_stanza import HybridRecipient, recipient


class CannotWrite(WbsError, ValueError):
    """What an inspector writes on a case would be sealed to no key it holds, or to none."""


def desk_names(config: Path | None, lang: str = "id") -> dict[str, str]:
    """Each desk's name from the config file's ``[[desks]]`` (``id``, ``name.<lang>``), in
    ``lang`` or else the first language given; {} when the file has none or cannot be read:
    desks are then shown by id. Only names are read here: the build checks the table."""
    from wbs import config as config_file  # the config package is only needed for names

    try:
        entries = config_file.read(config).values.get("desks", [])
    except (WbsError, OSError):
        return {}
    names: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        name = entry.get("name")
        if isinstance(name, dict):
            name = name.get(lang) or next(iter(name.values()), None)
        if isinstance(name, str) and name.strip():
            names[entry["id"]] = name.strip()
    return names


def desk_label(
    desk: str, generation: int | None = None, names: Mapping[str, str] | None = None
) -> str:
    """``Inspektorat Jawa Barat (jabar, generation 2)``, or ``jabar (2)`` (as the keyring
    labels a desk generation) without a name in ``names``."""
    name = (names or {}).get(desk)
    if generation is None:
        return f"{name} ({desk})" if name else desk
    return f"{name} ({desk}, generation {generation})" if name else f"{desk} ({generation})"


class Share(NamedTuple):
    """A case grant: ``by`` shared the case with ``desk`` (generation ``generation``) at
    ``granted``; ``problem`` is why it is not verified, or does not count ("" when it
    counts)."""

    key: str
    desk: str
    generation: int
    by: str
    granted: datetime.datetime | None
    problem: str = ""
    reason: str = ""  # why it was shared, when this reader holds the desk's key, else ""


class Directory:
    """The keyring and the cached grants, as a reader of them: who holds each desk generation
    (its rooted members, docs/spec/desks-v2.md section 3.6), with which desks each case was
    shared and whether each share counts (section 6.5), and how each desk is named. Grants
    are checked against the keyring (names and signatures), never opened."""

    def __init__(
        self,
        ring: Keyring,
        stored: Iterable[tuple[str, bytes]] | Callable[[], Iterable[tuple[str, bytes]]],
        names: Mapping[str, str] | None = None,
        desk_keys: Mapping[str, grants.DeskSecret] | None = None,
    ) -> None:
        """``stored``: the grants as (storage key, bytes), or what reads them when first
        needed (``Cache.grants``); ``desk_keys``: the desk secret keys the reader holds, by
        kid, which open the reason of a share to their desk."""
        self.ring = ring
        self.names = dict(names or {})
        self.desk_keys = dict(desk_keys or {})
        self._stored = stored
        self._parsed: tuple[list[grants.Grant], list[tuple[str, grants.Grant]], list[str]] | None
        self._parsed = None
        self._rooted: dict[tuple[str, int], frozenset[str]] | None = None

    @classmethod
    def of(cls, reader: Reader, cache: Cache, names: Mapping[str, str] | None = None) -> Directory:
        """The directory of the keyring ``reader`` was built with (an empty one without) and
        of the cached grants, read when first needed."""
        held = reader.held.desks if reader.held is not None else {}
        return cls(reader.ring or Keyring(), cache.grants, names, held)

    def _grants(self) -> tuple[list[grants.Grant], list[tuple[str, grants.Grant]], list[str]]:
        """(membership grants, (key, case grant) pairs, problems), parsed once."""
        if self._parsed is None:
            stored = self._stored() if callable(self._stored) else self._stored
            desk: list[grants.Grant] = []
            case: list[tuple[str, grants.Grant]] = []
            problems: list[str] = []
            for key, data in stored:
                try:
                    grant = grants.parse(key, data)
                except grants.GrantError as exc:
                    problems.append(str(exc))
                    continue
                if grant.format == grants.DESK_GRANT:
                    desk.append(grant)
                else:
                    case.append((key, grant))
            self._parsed = (desk, case, problems)
        return self._parsed

    @property
    def problems(self) -> list[str]:
        """The stored objects under desks/ and shares/ that are no grant, and why."""
        return self._grants()[2]

    # -- names ------------------------------------------------------------------------------

    def desk_label(self, desk: str, generation: int | None = None) -> str:
        """How a desk (generation) is shown: ``desk_label`` with the config's names."""
        return desk_label(desk, generation, self.names)

    def person(self, kid: str) -> str:
        """A member by the keyring's label (a person's, or the recovery key's), else its id."""
        return self.ring.label(kid) or kid

    # -- membership -------------------------------------------------------------------------

    def rooted(self) -> dict[tuple[str, int], frozenset[str]]:
        """The members of every desk generation as others count them (section 3.6)."""
        if self._rooted is None:
            self._rooted = membership.members(self.ring, self._grants()[0], grants.verify)
        return self._rooted

    def holders(self, entry: DeskEntry) -> tuple[str, ...]:
        """The members of one desk generation (the recovery key among them), persons first by
        label, each once."""
        members = self.rooted().get((entry.desk, entry.generation), frozenset())
        recovery = self.ring.recovery.kid if self.ring.recovery else ""
        return tuple(sorted(members, key=lambda kid: (kid == recovery, self.person(kid), kid)))

    def unrooted(self, entry: DeskEntry) -> tuple[tuple[str, str], ...]:
        """The grants of one desk generation that make nobody a member: (member, why), to be
        flagged wherever members are listed."""
        members = self.rooted().get((entry.desk, entry.generation), frozenset())
        found: list[tuple[str, str]] = []
        for grant in self._grants()[0]:
            if (grant.desk, grant.generation) != (entry.desk, entry.generation):
                continue
            if grant.member in members:
                continue
            problem = grants.check(grant, self.ring)
            if not problem and self.ring.label(grant.member) is None:
                problem = f"it is sealed to {grant.member}, which is no key of the keyring"
            if not problem:
                problem = (
                    f"it is signed by {self.person(grant.by)}, who is no member of it: only the"
                    " recovery key, the generation's founder and its members make members"
                )
            found.append((grant.member, problem))
        return tuple(found)

    # -- shares -----------------------------------------------------------------------------

    def shares(self, report_id: str, report_desks: Iterable[str] = ()) -> tuple[Share, ...]:
        """The case grants of one case, oldest first, each checked against the keyring and
        counted or not (section 6.5) for a case routed to ``report_desks``."""
        own = [(key, g) for key, g in self._grants()[1] if g.case == report_id]
        rooted = self.rooted()
        desks = membership.case_desks(
            report_desks, [g for _, g in own], self.ring, rooted, grants.verify
        )
        found = []
        for key, grant in own:
            problem = grants.check(grant, self.ring)
            if problem:
                problem = f"not verified: {problem}"
            elif not membership.share_counts(grant, desks, self.ring, rooted, grants.verify):
                problem = (
                    f"it does not count: {self.person(grant.by)} is no member of the current"
                    " key of a desk of the case"
                )
            moment = _time(grant.granted)
            reason = self._reason(grant)
            found.append(
                Share(key, grant.desk, grant.generation, grant.by, moment, problem, reason)
            )
        epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
        return tuple(sorted(found, key=lambda s: (s.granted or epoch, s.key)))

    def _reason(self, grant: grants.Grant) -> str:
        """A share's reason, if this reader holds its desk's key and it opens."""
        secret = self.desk_keys.get(grant.desk_kid)
        if secret is None:
            return ""
        try:
            reason, _ = grants.read_case_keys(grants.open_case_grant(grant, secret, self.ring))
        except grants.GrantError:
            return ""
        return reason


def _time(text: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.strptime(text, grants.TIME).replace(tzinfo=datetime.UTC)
    except ValueError:
        return None


class Sealed(NamedTuple):
    """A desk generation a case's report is sealed to, who holds it, and the grants of it
    that make nobody a member (member, why), flagged."""

    entry: DeskEntry
    holders: tuple[str, ...]
    flagged: tuple[tuple[str, str], ...] = ()


class CaseReaders(NamedTuple):
    """Who can read one case: the desk generations its report is sealed to, the desks it was
    shared with (verified or not), and whether the recovery key can."""

    report_id: str
    sealed: tuple[Sealed, ...]
    shared: tuple[tuple[Share, tuple[str, ...]], ...]  # each share and who holds its desk
    recovery: str  # the recovery key's label when the report carries its stanza, else ""
    others: tuple[str, ...]  # stanzas' key ids that are no desk of the keyring

    @property
    def shares(self) -> tuple[Share, ...]:
        return tuple(share for share, _ in self.shared)

    @property
    def desks(self) -> tuple[str, ...]:
        """The desks the case belongs to: sealed to, then shared with (verified), each once."""
        found = [s.entry.desk for s in self.sealed]
        found += [share.desk for share, _ in self.shared if not share.problem]
        return tuple(dict.fromkeys(found))

    def people(self) -> tuple[str, ...]:
        """The key ids of every member who can read the case, each once."""
        found = [kid for s in self.sealed for kid in s.holders]
        found += [kid for share, held in self.shared if not share.problem for kid in held]
        return tuple(dict.fromkeys(found))


def case_readers(cache: Cache, directory: Directory, report_id: str) -> CaseReaders:
    """Who can read a cached case, from its report's stanzas and its case grants."""
    ring = directory.ring
    try:
        envelope = parse_stored(report_id, cache.read(report_id)).envelope
        stanzas = [r.kid for r in envelope.recipients]
    except (EnvelopeError, OSError):
        stanzas = []
    sealed: list[Sealed] = []
    others: list[str] = []
    recovery = ""
    for kid in stanzas:
        entry = ring.desk_of(kid)
        if entry is not None:
            sealed.append(Sealed(entry, directory.holders(entry), directory.unrooted(entry)))
        elif ring.recovery is not None and kid in ring.recovery_kids():
            recovery = ring.recovery.label
        else:
            others.append(kid)
    shared = []
    for share in directory.shares(report_id, (s.entry.desk for s in sealed)):
        entry = ring.generation(share.desk, share.generation)
        shared.append((share, directory.holders(entry) if entry is not None else ()))
    return CaseReaders(report_id, tuple(sealed), tuple(shared), recovery, tuple(others))


def explain(readers: CaseReaders, directory: Directory) -> str:
    """Which desks would open a case and who holds them, in one line: the hint of a case this
    inspector cannot open."""
    parts: list[str] = []
    for sealed in readers.sealed:
        entry = sealed.entry
        parts.append(_desk_and_holders(directory, entry.desk, entry.generation, sealed.holders))
    for share, held in readers.shared:
        if not share.problem:
            label = _desk_and_holders(directory, share.desk, share.generation, held)
            parts.append(f"{label} (shared with it)")
    if readers.recovery:
        parts.append(f"the recovery key ({readers.recovery})")
    if readers.others:
        parts.append(f"key(s) {', '.join(readers.others)}, which are no desk of the keyring")
    if not parts:
        return "it names no key of the keyring: check the keyring with --keyring PATH"
    return "it opens with " + "; ".join(parts)


def _desk_and_holders(
    directory: Directory, desk: str, number: int, holders: tuple[str, ...]
) -> str:
    label = "desk " + directory.desk_label(desk, number)
    people = [directory.person(kid) for kid in holders]
    return f"{label}, held by {', '.join(people)}" if people else f"{label}, held by nobody yet"


# -- what inspectors write -------------------------------------------------------------------


class Audience(NamedTuple):
    """What an inspector's writing on a case is sealed to: the active generation of each of
    its desks, each with a stanza of its type, and the recovery key, with an `X-Wing` stanza
    when any of those desks is hybrid (docs/spec/xwing-v1.md section 8.4)."""

    report_id: str
    desks: tuple[DeskEntry, ...]
    recovery: RecoveryEntry

    @property
    def _recovery_xwing(self) -> bytes | None:
        return self.recovery.xwing_key_bytes if any(d.hybrid for d in self.desks) else None

    def recipients(self) -> list[Sealable]:
        return [*(recipient(d.type, d.public_key_bytes) for d in self.desks), self._rescuer()]

    def _rescuer(self) -> Sealable:
        hybrid = self._recovery_xwing
        if hybrid is not None:
            return HybridRecipient(hybrid)
        return Recipient(self.recovery.public_key_bytes)

    @property
    def kids(self) -> tuple[str, ...]:
        return (*(d.kid for d in self.desks), self._rescuer().kid)

    @property
    def desk_ids(self) -> tuple[str, ...]:
        """The case's desks by id: the ``wbs-desks`` tag of what is written on it
        (``functions/storage/tags.py``), so that their members' policies fetch it."""
        return tuple(sorted({d.desk for d in self.desks}))

    def describe(self, directory: Directory | None = None) -> str:
        """``desk Inspektorat (inspektorat, generation 1), the recovery key``."""
        named = directory or Directory(Keyring(), ())
        shown = ["desk " + named.desk_label(d.desk, d.generation) for d in self.desks]
        return ", ".join([*shown, "the recovery key"])


def audience(ring: Keyring, readers: CaseReaders, writer: Reader) -> Audience:
    """The keys what ``writer`` writes on the case is sealed to; CannotWrite if the case has
    no desk, or ``writer`` holds the active key of none of its desks."""
    number = registration.display(readers.report_id)
    if ring.recovery is None or not ring.desks:
        raise CannotWrite(
            "the keyring has no desk: nobody could read what you write, and nothing was sent",
            hint="create the desks and the recovery key first: wbs desks init",
        )
    active = {d.desk: d for d in ring.active_desks()}
    desks = tuple(active[d] for d in readers.desks if d in active)  # a retired desk is left out
    if not desks and any(d in ring.desk_ids() for d in readers.desks):
        raise CannotWrite(
            f"every desk of report {number} is retired: nobody could read what you write,"
            " and nothing was sent",
            hint="share the case with a desk that is in use: wbs desks share",
        )
    if not desks:
        raise CannotWrite(
            f"report {number} is sealed to no desk of the keyring: nothing was sent",
            hint="use the institution's current keyring: --keyring PATH (or WBS_KEYRING)",
        )
    held = writer.keys.kids  # its desk keys (and its own, should that be a desk's key)
    if not held & {d.kid for d in desks}:
        names = ", ".join(f"{d.desk} ({d.generation})" for d in desks)
        raise CannotWrite(
            f"you hold the current key of none of the desks of report {number} ({names}):"
            " you could not read what you write, and nothing was sent",
            hint="ask a member of one of them to add you (wbs desks add-member), then:"
            " wbs inbox sync",
        )
    return Audience(readers.report_id, desks, ring.recovery)


def audience_of(cache: Cache, ring: Keyring, report_id: str, writer: Reader) -> Audience:
    """``audience`` of a cached case, its desks read from the cache with ``ring``."""
    directory = Directory(ring, cache.grants())
    return audience(ring, case_readers(cache, directory, report_id), writer)
