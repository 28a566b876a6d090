"""Who an envelope sent through the API must be sealed to (docs/spec/desks-v2.md section 4).

A report: the active generation of each desk that ``route`` gives for some answers of the
reporter, and the recovery key; the sets are the routing rules' (``WBS_ROUTING``, the
``routing.json`` the build writes beside the page) or, without rules, the keyring's only
desk. A follow-up: the active generation of each desk of its case (those its verifier
records, and those it was shared with), the recovery key, and one more key, the reporter's.
Anything else is a stale or tampered page: ``422 stale_keys``.

The keyring and the rules are read again whenever either file changes (its stat: device,
inode, size, modification and change times), so that a rotation needs no restart; in
between, a check is two ``stat`` calls and a set lookup, even with hundreds of desks
(bench/bench_routing.py).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from functions import envelope, keyring, routing
from functions.keyring import Keyring
from functions.routing import Routing

StatKey = tuple[int, int, int, int, int] | None


@dataclass(frozen=True)
class Recipients:
    """The keyring and the routing rules, with every recipient set a report may have."""

    ring: Keyring
    rules: Routing
    reports: frozenset[frozenset[str]]  # the X25519 kid sets a report may be sealed to
    desk_of: Mapping[str, str] = field(repr=False)  # an active generation's kid -> its desk
    active: Mapping[str, str] = field(repr=False)  # a desk -> its active generation's kid
    recovery: str  # the recovery key's kid
    hybrid: frozenset[str] = frozenset()  # the desks whose active generation is X-Wing

    @functools.cached_property
    def _hybrid_kids(self) -> frozenset[str]:
        """The kids that only an `X-Wing` stanza may name: hybrid desks' active generations
        and the recovery key's X-Wing key."""
        found = {self.active[d] for d in self.hybrid}
        return frozenset({*found, self.ring.recovery_kid(True)} if found else found)

    def counted(self, stanzas: Iterable[envelope.Recipient]) -> frozenset[str]:
        """The kids the recipient check counts (envelope-v1 section 5): a stanza's, when its
        type is its key's (X-Wing for a hybrid key, X25519 for any other); others count for
        nothing, as stanzas of unknown types always did. So a classical stanza under a hybrid
        desk's kid leaves that kid out (kids are unique), and the envelope is refused."""
        return frozenset(
            s.kid
            for s in stanzas
            if (s.type == envelope.XWING and s.kid in self._hybrid_kids)
            or (s.type == envelope.X25519 and s.kid not in self._hybrid_kids)
        )

    @classmethod
    def load(cls, keyring_path: Path, routing_path: Path | None) -> Recipients:
        """Read both files; KeyringError or RoutingError if they cannot be used together."""
        ring = keyring.load_active(keyring_path)
        rules = routing.single(ring) if routing_path is None else routing.load(routing_path)
        # allowed() refuses rules naming a desk the keyring lacks, and a missing recovery key
        reports = rules.allowed(ring)
        recovery = ring.recovery.kid if ring.recovery is not None else ""
        desk_of = {d.kid: d.desk for d in ring.active_desks()}
        active = {desk: kid for kid, desk in desk_of.items()}
        hybrid = frozenset(d.desk for d in ring.active_desks() if d.hybrid)
        return cls(ring, rules, reports, desk_of, active, recovery, hybrid)

    def report_desks(self, kids: frozenset[str]) -> tuple[str, ...] | None:
        """The desks, sorted, of a report sealed to ``kids``; None if no answers of the
        reporter route a report to exactly those keys."""
        if kids not in self.reports:
            return None
        return tuple(sorted(self.desk_of[kid] for kid in kids if kid in self.desk_of))

    def case_desks(self, recorded: Sequence[str] | None) -> tuple[str, ...]:
        """A case's own desks: those its verifier records that the keyring has; the central
        desk for a verifier that records none (or none the keyring still has)."""
        known = tuple(sorted({d for d in recorded or () if d in self.active}))
        return known or (self.rules.central,)

    def followup_kids(self, desks: Sequence[str]) -> frozenset[str]:
        """The keys besides the reporter's a follow-up to a case of ``desks`` is sealed to:
        the recovery key's X-Wing kid when one of them is hybrid."""
        recovery = self.ring.recovery_kid(True) if self.hybrid & set(desks) else self.recovery
        return frozenset({*(self.active[d] for d in desks), recovery})

    def followup_allowed(self, kids: frozenset[str], desks: Sequence[str]) -> bool:
        """Sealed to every key of ``followup_kids`` and exactly one other: the reporter's,
        which is no key of the keyring (so not the recovery key's classical key beside its
        X-Wing key, nor another desk's)."""
        required = self.followup_kids(desks)
        others = kids - required
        known = self.ring.kids() | self.ring.recovery_kids()
        return required <= kids and len(others) == 1 and not others & known


class Source:
    """The Recipients of two files, loaded again only when one of them has changed."""

    def __init__(self, keyring_path: Path, routing_path: Path | None) -> None:
        self.keyring_path = keyring_path
        self.routing_path = routing_path
        self._cached: tuple[tuple[StatKey, StatKey], Recipients] | None = None

    def current(self) -> Recipients:
        # Stat before reading: a file changed while it is read is read again next time.
        stamp = (stat_key(self.keyring_path), stat_key(self.routing_path))
        readable = stamp[0] is not None and (self.routing_path is None or stamp[1] is not None)
        cached = self._cached
        if readable and cached is not None and cached[0] == stamp:
            return cached[1]
        loaded = Recipients.load(self.keyring_path, self.routing_path)  # raises: not cached
        self._cached = (stamp, loaded)
        return loaded


@functools.lru_cache(maxsize=8)
def source(keyring_path: Path, routing_path: Path | None) -> Source:
    """The one Source of these two files in this process, whose cache outlives each
    request's wiring (the local host wires the handlers again before every request)."""
    return Source(keyring_path, routing_path)


def stat_key(path: Path | None) -> StatKey:
    """What changes when a file is rewritten or replaced; None for no file (or no path)."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
