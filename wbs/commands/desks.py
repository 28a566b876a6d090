"""``wbs desks``: the desks reports are sealed to, who holds them, and the recovery key
(docs/spec/desks-v2.md; docs/inspector.md, "Desks, members and the recovery key").

Every change stores its grants first, create-only, and writes the keyring last (atomically),
so that a keyring never lists a desk generation nobody holds. A refused command changes
nothing: what it checks is checked before a key is made or a grant is stored.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import IO

import click
from rich.table import Table
from rich.text import Text

from functions.errors import AlreadyExists, StorageError, WbsError
from functions.keyring import (
    DeskEntry,
    KeyEntry,
    Keyring,
    dump,
    grouped,
    load,
)
from functions.storage import Storage, layout
from wbs import config as wbs_config
from wbs import console, paths, registration, screen
from wbs.commands import granting
from wbs.commands.options import config_option, key_option, keyring_option, settings, storage_option
from wbs.desks import membership, recovery, sharing, sheets
from wbs.desks.grants import Grant
from wbs.desks.keys import unlock
from wbs.desks.membership import DeskError, Plan

DEFAULT_DESK = "inspektorat"
DEFAULT_INSTITUTION = "Inspektorat"
SHOWN = 10  # desks named one by one in init's summary; the rest are counted

member_option = click.option(
    "--member",
    "members",
    multiple=True,
    metavar="KID",
    help="A person of the keyring to grant the desk to: a key id or fingerprint from"
    " `wbs keys list` (repeat for several).",
)
desk_option = click.option("--desk", required=True, metavar="ID", help="The desk's id.")
recovery_option = click.option(
    "--recovery",
    "use_recovery",
    is_flag=True,
    help="Sign with the recovery key instead of your own key: its holders type any k of its"
    " shares, one by one.",
)


hybrid_option = click.option(
    "--hybrid",
    is_flag=True,
    help="Make the new key hybrid post-quantum (X-Wing: ML-KEM-768 + X25519), granted to"
    " X-Wing keys only; refused while a member or the recovery key has none. Every later"
    " rotation of the desk is hybrid too.",
)


def reading_shares(first: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--shares-file",
        type=click.File("r", encoding="utf-8"),
        metavar="PATH",
        help=f"{first} the shares from PATH, one per line ('-': standard input; also"
        f" {granting.SHARES_ENV}). LESS SAFE: k shares in one file are the recovery key itself;"
        " for drills and automation only.",
    )


shares_file_option = reading_shares("With --recovery: read")
sheets_option = click.option(
    "--sheets",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Write one printable sheet per share into DIR (a new folder, mode 0700, outside any"
    " repository)  [default: show them on this terminal, one at a time]",
)


@click.group()
def desks() -> None:
    """Desks, their members and the recovery key: who can read which reports.

    Reports are sealed to desks, never to persons; a member holds a grant of the desk's key,
    sealed to their own key. The recovery key, split into word shares that officials keep
    apart, is a member of every desk: a lost passphrase or a team that left loses no report.
    """


# --- wbs desks init -----------------------------------------------------------------------


@desks.command("init")
@click.option(
    "--threshold",
    type=click.IntRange(1, 16),
    default=recovery.THRESHOLD,
    show_default=True,
    help="How many shares restore the recovery key.",
)
@click.option(
    "--shares",
    "count",
    type=click.IntRange(1, 16),
    default=recovery.SHARES,
    show_default=True,
    help="How many shares to make: one per holder.",
)
@member_option
@hybrid_option
@sheets_option
@keyring_option
@storage_option
@config_option
def init(
    threshold: int,
    count: int,
    members: tuple[str, ...],
    hybrid: bool,
    folder: Path | None,
    keyring: Path,
    storage: str | None,
    config: Path | None,
) -> None:
    """Set up the desks, their --member inspectors and the recovery key, once.

    Makes the recovery key and splits it into --shares word shares, any --threshold of which
    restore it; makes generation 1 of each desk of the config ([[desks]]; one desk,
    inspektorat, when it has none); grants each desk to the recovery key and to every
    --member, signed by the recovery key; stores the grants, then writes the keyring. Runs
    once: add a desk later with `wbs desks new`.

    The share sheets are shown on this terminal one at a time (Enter between them; the
    screen is cleared), or written with --sheets DIR: print them, hand each to its holder,
    then delete the files. They are never written anywhere else.
    """
    ring = load(keyring) if keyring.exists() else Keyring()
    original = _text(keyring)
    if ring.desks or ring.recovery is not None:
        raise DeskError(
            f"{keyring} has its desks and its recovery key already: `wbs desks init` runs once",
            hint="see them with `wbs desks list`; add a desk with `wbs desks new ID`",
        )
    check_split(threshold, count)
    chosen = granting.members(ring, members)
    desk_ids = configured_desks(config)
    name = institution(config)
    check_sheets_place(folder, keyring)
    configured = settings(storage)
    store = configured.open_storage()
    for desk in desk_ids:
        membership.refuse_taken(store, desk)
    made = membership.setup(ring, desk_ids, chosen, threshold, count, _now(), hybrid)
    written = show_sheets(sheets.make(made.shares, made.recovery, name), folder)
    try:
        _commit(store, made.plan, keyring, original)
    except WbsError as exc:
        sheets.remove(written)
        lost = "the sheet files were removed" if written else "destroy what was copied"
        raise DeskError(f"{exc}; the shares belong to no key: {lost}", hint=exc.hint) from None
    entry = made.recovery
    click.echo(f"recovery key  {entry.kid}  {entry.label}: any {threshold} of {count} shares")
    click.echo(f"fingerprint   {grouped(entry.fingerprint)}")
    for desk in desk_ids[:SHOWN]:
        _echo_desk(made.plan.ring, desk)
    if len(desk_ids) > SHOWN:
        click.echo(f"desks         and {len(desk_ids) - SHOWN} more: wbs desks list")
    names = ", ".join(f"{m.label} ({m.kid})" for m in chosen) or "none"
    click.echo(f"members       {names}")
    click.echo(f"grants        {len(made.plan.grants)} stored in {configured.storage_url}")
    click.echo(f"keyring       {keyring}")
    if written:
        click.echo(
            f"sheets        {len(written)} files in {folder} (mode 0600): print each, hand it to"
            " its holder, then delete the files"
        )
    if not chosen:
        click.echo(
            "wbs: note: no member: only the recovery key's holders can read the desks; grant"
            " each inspector with `wbs desks add-member --recovery`",
            err=True,
        )
    click.echo(_REBUILD)


def check_split(threshold: int, count: int) -> None:
    """DeskError unless ``threshold`` of ``count`` shares can be made."""
    if threshold > count or (threshold == 1 and count > 1):
        raise DeskError(
            f"{threshold} of {count} shares cannot be made",
            hint="the threshold is at most the number of shares, and 1 only with --shares 1;"
            " the default is 3 of 5",
        )


def check_sheets_place(folder: Path | None, keyring: Path) -> None:
    """DeskError (or SheetError) unless the share sheets can be written into ``folder``, or
    shown on this terminal when it is None."""
    if folder is not None:
        sheets.check_folder(folder, _projects(keyring))
    elif not screen.terminal():
        raise DeskError(
            "the share sheets are shown on a terminal only, and this is none",
            hint="run it on a terminal, or write them to files: --sheets DIR",
        )


def show_sheets(pages: list[sheets.Sheet], folder: Path | None) -> list[Path]:
    """The sheets written into ``folder`` (their files), or shown on this terminal ([])."""
    if folder is None:
        screen.show(pages)
        return []
    return sheets.write(folder, pages)


_REBUILD = (
    "next: redeploy (`wbs deploy`) so that the page seals reports to these keys (`wbs serve`"
    " rebuilds by itself)"
)


# --- wbs desks new ------------------------------------------------------------------------


@desks.command("new")
@click.argument("desk_id", metavar="ID")
@member_option
@hybrid_option
@key_option
@recovery_option
@shares_file_option
@keyring_option
@storage_option
@config_option
def new(
    desk_id: str,
    members: tuple[str, ...],
    hybrid: bool,
    key: Path | None,
    use_recovery: bool,
    shares_file: IO[str] | None,
    keyring: Path,
    storage: str | None,
    config: Path | None,
) -> None:
    """Create desk ID, added to the config's [[desks]] after `wbs desks init`.

    Its key is new, granted to the recovery key and to each --member, signed with your key
    (you become the founder the keyring names: whom you grant it counts as a member) or
    with the recovery key (--recovery: its holders type their shares). You are a member only
    if you name yourself: a desk for reports about the inspectorate's own staff must not be
    readable by them, and is best made with --recovery.
    """
    ring = load(keyring)
    original = _text(keyring)
    if ring.recovery is None:
        raise DeskError(f"{keyring} has no desks yet", hint="set them up first: wbs desks init")
    if desk_id not in configured_desks(config):
        raise DeskError(
            f"the config has no desk {desk_id!r}",
            hint=f'add [[desks]] with id = "{desk_id}" (and its names) to the config first',
        )
    if ring.generations(desk_id):
        raise DeskError(
            f"the keyring has desk {desk_id} already",
            hint=f"add a member with: wbs desks add-member --desk {desk_id} --member KID",
        )
    chosen = granting.members(ring, members)
    store = settings(storage).open_storage()
    membership.refuse_taken(store, desk_id)
    granter = granting.granter(ring, store, key, use_recovery, shares_file, desk_id)
    plan = membership.new_desk(ring, desk_id, chosen, granter, _now(), hybrid)
    _commit(store, plan, keyring, original)
    _echo_desk(plan.ring, desk_id)
    names = ", ".join(f"{m.label} ({m.kid})" for m in chosen) or "none yet"
    click.echo(f"members       {names}; and the recovery key")
    click.echo(f"founder       {granter.label} ({granter.identity.kid})")
    click.echo(f"keyring       {keyring}")
    click.echo(_REBUILD)


# --- wbs desks add-member -----------------------------------------------------------------


@desks.command("add-member")
@desk_option
@click.option(
    "--member",
    required=True,
    metavar="KID",
    help="Who joins: a key id or fingerprint from `wbs keys list`.",
)
@key_option
@recovery_option
@shares_file_option
@keyring_option
@storage_option
def add_member(
    desk: str,
    member: str,
    key: Path | None,
    use_recovery: bool,
    shares_file: IO[str] | None,
    keyring: Path,
    storage: str | None,
) -> None:
    """Grant a new member every generation of the desk that you are a member of.

    The newcomer then reads the desk's past cases as well as its future ones; no rebuild is
    needed. You unlock your own key (its passphrase), or the recovery key's holders type
    their shares (--recovery): for a desk whose members are all gone, or a member who lost
    their passphrase and made a new key. A grant already stored is reported, never replaced.
    """
    ring = load(keyring)
    ring.desk(desk)  # no such desk: refused before anything is asked
    joining = granting.members(ring, (member,))[0]
    store = settings(storage).open_storage()
    granter = granting.granter(ring, store, key, use_recovery, shares_file, desk)
    held = membership.holdings(ring, membership.stored_desk_grants(store, desk))
    joined = membership.add_member(ring, desk, joining, granter, held, _now())
    existing = {h.key: h for h in held}
    fresh: list[tuple[str, bytes]] = []
    for stored_key, data in joined.plan.grants:
        entry = _generation(ring, stored_key)
        found = existing.get(stored_key)
        if found is None:
            fresh.append((stored_key, data))
        elif why := membership.occupied(found, joining.kid, entry):
            raise DeskError(
                f"{stored_key} is occupied by an object that is not {joining.label}'s grant"
                f" ({why}): nothing was stored",
                hint="it cannot be replaced (storage is create-only); see docs/inspector.md,"
                ' "A grant that is not valid"',
            )
        else:
            click.echo(f"generation {entry.generation}  held already ({stored_key})")
    for stored_key, data in fresh:
        try:
            store.put_new(stored_key, data)
        except AlreadyExists:  # written meanwhile: the next run reports it
            console.error(f"{stored_key} was stored meanwhile by someone else: run again")
            continue
        click.echo(
            f"generation {_generation(ring, stored_key).generation}  granted     ({stored_key})"
        )
    for entry, why in joined.left_out:
        click.echo(
            f"wbs: note: generation {entry.generation} of desk {desk} not granted: {why};"
            " the recovery key grants it (--recovery)",
            err=True,
        )
    click.echo(
        f"{joining.label} ({joining.kid}) is a member of desk {desk}: {len(fresh)} new"
        f" grant(s), signed by {granter.label}"
    )


def _generation(ring: Keyring, stored_key: str) -> DeskEntry:
    parsed = layout.parse_desk_grant(stored_key)
    if parsed is None:
        raise DeskError(f"{stored_key} is not a grant's name")
    return next(g for g in ring.generations(parsed[0]) if g.generation == parsed[1])


# --- wbs desks remove-member and rotate ---------------------------------------------------


@desks.command("remove-member")
@desk_option
@click.option(
    "--member",
    required=True,
    metavar="KID",
    help="Who leaves: a key id or fingerprint from `wbs keys list`.",
)
@key_option
@recovery_option
@shares_file_option
@keyring_option
@storage_option
def remove_member(
    desk: str,
    member: str,
    key: Path | None,
    use_recovery: bool,
    shares_file: IO[str] | None,
    keyring: Path,
    storage: str | None,
) -> None:
    """Rotate the desk so that a member who leaves cannot read what is sent from now on.

    Another member of the desk (your key) or the recovery key (--recovery) makes the desk's
    next generation, grants it to every other member of the current one, to the recovery key
    and to yourself, and makes it the active one in the keyring, with you as its founder.
    What the leaver already held cannot be taken back: this says what, plainly. Rebuild and
    redeploy at once.
    """
    ring = load(keyring)
    ring.desk(desk)
    leaving = ring.find(member)
    _rotate(ring, keyring, desk, (key, use_recovery, shares_file), storage, leaving)


@desks.command("rotate")
@desk_option
@hybrid_option
@key_option
@recovery_option
@shares_file_option
@keyring_option
@storage_option
def rotate(
    desk: str,
    hybrid: bool,
    key: Path | None,
    use_recovery: bool,
    shares_file: IO[str] | None,
    keyring: Path,
    storage: str | None,
) -> None:
    """Give the desk a new key, granted to every current member and the recovery key.

    For a suspected compromise (a lost laptop, a key file seen by someone): what is sent
    after the page is rebuilt can no longer be opened with the old key. Made by a member of
    the desk (your key) or the recovery key (--recovery). Rebuild and redeploy at once.
    With --hybrid the new key is post-quantum hybrid, and so is every later one; earlier
    generations stay readable as before.
    """
    ring = load(keyring)
    ring.desk(desk)
    _rotate(ring, keyring, desk, (key, use_recovery, shares_file), storage, None, hybrid)


def _rotate(
    ring: Keyring,
    keyring: Path,
    desk: str,
    who: tuple[Path | None, bool, IO[str] | None],
    storage: str | None,
    leaving: KeyEntry | None,
    hybrid: bool = False,
) -> None:
    original = _text(keyring)
    store = settings(storage).open_storage()
    held = membership.holdings(ring, membership.stored_desk_grants(store, desk))
    current = ring.desk(desk)
    if leaving is not None:
        membership.refuse_not_holding(ring, held, current, leaving.kid)
    membership.refuse_taken(store, desk, current.generation + 1)
    granter = granting.granter(ring, store, *who, desk)
    done = membership.rotate(
        ring, desk, held, granter, _now(), None if leaving is None else leaving.kid, hybrid
    )
    _commit(store, done.plan, keyring, original)
    new, old = done.entry, done.previous
    if leaving is not None:
        click.echo(f"removed       {leaving.label} ({leaving.kid}) from desk {desk}")
    kind = " (hybrid X-Wing)" if new.hybrid else ""
    click.echo(f"generation    {new.generation} of desk {desk} is active{kind}: {new.kid}")
    click.echo(f"fingerprint   {grouped(new.fingerprint)}")
    kept = ", ".join(sorted(m.label for m in done.kept))
    click.echo(f"granted to    the recovery key{', ' + kept if kept else ''}")
    click.echo(f"founder       {granter.label} ({granter.identity.kid})")
    persons = {k.kid: k for k in ring.keys}
    for kid in done.dropped:
        if leaving is not None and kid == leaving.kid:
            continue
        why = "a retired key" if not persons[kid].active else "granted by the leaver alone"
        click.echo(f"not granted   {ring.label(kid)} ({kid}): {why}")
        if persons[kid].active:
            click.echo(
                f"wbs: note: {ring.label(kid)} is a member only through the leaver's grant: if"
                f" they stay, add them again: wbs desks add-member --desk {desk} --member {kid}",
                err=True,
            )
    if not done.kept:
        click.echo(
            f"wbs: note: no person holds generation {new.generation}: grant someone with"
            f" `wbs desks add-member --desk {desk} --recovery`",
            err=True,
        )
    held_text = f"generation{'s 1 to' if old.generation > 1 else ''} {old.generation}"
    if leaving is not None:
        click.echo(
            f"\nWhat {leaving.label} already held cannot be taken back: {held_text} of desk"
            f" {desk}, so every report, follow-up, reply and note sealed to them, which is"
            " everything sent before the page and the API were rebuilt with generation"
            f" {new.generation}; the keys of every case shared with the desk before now; and"
            " anything they saved or exported. Revoke their storage credentials too, and retire"
            f" their key if they leave the inspectorate: wbs keys retire {leaving.kid}"
        )
    else:
        click.echo(
            f"\nWhoever held {held_text} of desk {desk} still opens everything sealed to it:"
            " every message sent before the page and the API are rebuilt with generation"
            f" {new.generation}."
        )
    click.echo(
        f"next: redeploy now (`wbs deploy`; `wbs serve` rebuilds by itself): until then the"
        f" page still seals new reports to generation {old.generation}"
    )


# --- wbs desks list -----------------------------------------------------------------------


@desks.command("list")
@keyring_option
@storage_option
@config_option
def list_desks(keyring: Path, storage: str | None, config: Path | None) -> None:
    """Who can read what: each desk's generations, and their members.

    A member holds a grant that verifies (the keyring has its desk generation and its
    signer) and is rooted: signed by the recovery key, or by a member of the same
    generation. What a grant seals is checked when its member opens it. Grants that fail
    are flagged, and never count.
    """
    ring = load(keyring)
    store = settings(storage).open_storage()
    held = membership.holdings(ring, membership.stored_desk_grants(store))
    table = Table(title=f"desks of {keyring}", title_justify="left")
    for column in ("desk", "gen", "kid", "fingerprint", "active", "members"):
        table.add_column(column, no_wrap=column in ("desk", "kid", "gen"))
    problems: list[str] = []
    every = membership.rooted(ring, held)
    by_generation: dict[tuple[str, int], list[tuple[membership.Held, Grant]]] = {}
    for h in held:
        if h.grant is not None:
            by_generation.setdefault((h.grant.desk, h.grant.generation), []).append((h, h.grant))
    for entry in ring.desks:
        rooted = every.get((entry.desk, entry.generation), frozenset())
        text = Text("\n".join(sorted(ring.label(kid) or kid for kid in rooted)) or "nobody")
        for h, grant in by_generation.get((entry.desk, entry.generation), []):
            name = h.key.rpartition("/")[2]
            if h.problem:
                text.append(f"\n⚠ not verified: {name}")
                problems.append(f"{h.key}: not used: {h.problem}")
            elif grant.member not in rooted:
                text.append(f"\n⚠ not rooted: {name}")
                signer = ring.label(grant.by) or grant.by
                problems.append(
                    f"{h.key}: not counted: signed by {signer}, who is no member of desk"
                    f" {entry.desk} ({entry.generation})"
                )
        table.add_row(
            entry.desk,
            f"{entry.generation}{' X-Wing' if entry.hybrid else ''}",
            entry.kid,
            grouped(entry.fingerprint),
            "yes" if entry.active else "no",
            text,
        )
        problems += _warnings(ring, entry, set(rooted))
    console.out.print(table)
    if ring.recovery is not None:
        r = ring.recovery
        click.echo(
            f"recovery key  {r.kid}  {r.label}: any {r.threshold} of {r.shares} shares"
            f"  ({grouped(r.fingerprint)})"
        )
    problems += [f"{h.key}: not used: {h.problem}" for h in held if h.grant is None]
    for desk in configured_desks(config):
        if not ring.generations(desk):
            problems.append(
                f"desk {desk} of the config is not in the keyring: wbs desks new {desk}"
            )
    if not ring.desks:
        console.error("the keyring has no desk: nobody can read reports", hint="wbs desks init")
    for problem in problems:
        click.echo(f"wbs: note: {problem}", err=True)


def _warnings(ring: Keyring, entry: DeskEntry, rooted: set[str]) -> list[str]:
    """What is amiss with one desk generation's members."""
    out = []
    where = f"desk {entry.desk} ({entry.generation})"
    if ring.recovery is not None and ring.recovery.kid not in rooted:
        out.append(f"{where}: the recovery key holds no grant of it")
    persons = {k.kid: k for k in ring.keys}
    if entry.active and not rooted & set(persons):
        out.append(
            f"{where}: no person is a member of the active generation; grant someone:"
            f" wbs desks add-member --desk {entry.desk} --member KID --recovery"
        )
    for kid in sorted(rooted & set(persons)):
        if entry.active and not persons[kid].active:
            out.append(
                f"{where}: {persons[kid].label} ({kid}) is retired but a member of the active"
                f" generation: wbs desks remove-member --desk {entry.desk} --member {kid}"
            )
    return out


# --- wbs desks share ----------------------------------------------------------------------


@desks.command("share")
@click.argument("number")
@desk_option
@click.option(
    "--reason", required=True, metavar="TEXT", help="Why, for the other desk (sealed to it)."
)
@click.option(
    "--classical",
    is_flag=True,
    help="Share a case sealed with hybrid (post-quantum) keys with a desk whose key is"
    " classical anyway: its copy of the case's keys could be opened by a quantum computer.",
)
@key_option
@recovery_option
@shares_file_option
@keyring_option
@storage_option
def share(
    number: str,
    desk: str,
    reason: str,
    classical: bool,
    key: Path | None,
    use_recovery: bool,
    shares_file: IO[str] | None,
    keyring: Path,
    storage: str | None,
) -> None:
    """Share a case with another desk: escalation, or a hand-over.

    Seals the content key of every envelope of case NUMBER (the report, its messages, notes
    and access records; its evidence files' keys are inside them) to the active generation
    of --desk, in a case grant signed by you, stored create-only under shares/: that desk's
    members then read the whole case as it is now. You must be a member of a desk of the
    case (or use the recovery key). The share is on the case's audit trail.
    """
    ring = load(keyring)
    ring.desk(desk)
    store = settings(storage).open_storage()
    ids = (layout.report_id(i.key) for i in store.list(layout.REPORTS))
    try:
        report_id = registration.resolve(number, [r for r in ids if r])
    except registration.UnknownReport as exc:
        where = str(exc).replace(" in the cache", " in storage")
        raise registration.UnknownReport(where, hint=registration.HINT) from None
    case_grants = sharing.shares_of(store, report_id)
    desk_grants = membership.stored_desk_grants(store)
    if shares_file is not None and not use_recovery:
        raise DeskError("--shares-file goes with --recovery", hint="add --recovery")
    if use_recovery:
        rescuer = granting.rescuer(granting.recovery_entry(ring), shares_file)
        opened = unlock(rescuer, ring, [*desk_grants, *case_grants])
    else:
        opened = granting.unlocked(ring, store, key, case_grants).held
    held = membership.holdings(ring, desk_grants)
    done = sharing.share(store, report_id, desk, reason, ring, opened, held, _now(), classical)
    store.put_new(done.key, done.data, desks=done.readers)
    for problem in done.skipped:
        click.echo(f"wbs: note: not shared, cannot be opened: {problem}", err=True)
    click.echo(
        f"shared        report {registration.display(report_id)} with desk {desk}"
        f" (generation {done.desk.generation}, {done.desk.kid})"
    )
    click.echo(f"holds         the keys of {done.envelopes} envelope(s) stored now")
    signer = ring.label(opened.member.kid) or opened.member.kid
    click.echo(f"stored        {done.key}, signed by {signer}: on the case's audit trail")
    click.echo(f"reason        sealed to desk {desk}: only its members read it")


# --- config -------------------------------------------------------------------------------


def configured_desks(config: Path | None) -> tuple[str, ...]:
    """The ids of the config's desks (``[[desks]]``), in order: ``inspektorat`` without any."""
    return _config(config)[0]


def institution(config: Path | None) -> str:
    """The institution's name, as the config's ``[institution]`` gives it."""
    return _config(config)[1]


def _config(config: Path | None) -> tuple[tuple[str, ...], str]:
    """The desk ids and the institution's name of ``config`` (else of the project's
    site/config.toml, else the defaults), the whole file checked as the build checks it: a
    file the page would refuse is refused here too."""
    path = config or wbs_config.DEFAULT_PATH
    if config is None and not path.is_file():
        return (DEFAULT_DESK,), DEFAULT_INSTITUTION
    loaded = wbs_config.load_all(path)
    return tuple(desk.id for desk in loaded.desks.desks), loaded.site.institution


# --- storing a change -------------------------------------------------------------------


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _commit(store: Storage, plan: Plan, keyring: Path, original: str | None) -> None:
    """Store every grant create-only, then write the keyring: unless it changed meanwhile."""
    if _text(keyring) != original:
        raise DeskError(
            f"{keyring} changed while this command ran: nothing was stored",
            hint="run the command again",
        )
    done: list[str] = []
    for stored_key, data in plan.grants:
        try:
            store.put_new(stored_key, data)
        except (StorageError, OSError) as exc:
            folders = sorted({k.rpartition("/")[0] + "/" for k in done})
            left = f"; remove {', '.join(folders)} (nobody can use them)" if folders else ""
            raise DeskError(
                f"storing the grants stopped after {len(done)} of {len(plan.grants)} ({exc}):"
                " the keyring was not changed",
                hint=f"check the storage{left}, then run the command again",
            ) from None
        done.append(stored_key)
    dump(plan.ring, keyring)


def _echo_desk(ring: Keyring, desk: str) -> None:
    d = ring.desk(desk)
    kind = "  hybrid X-Wing" if d.hybrid else ""
    click.echo(f"desk          {desk}  generation {d.generation}  {d.kid}{kind}")
    click.echo(f"fingerprint   {grouped(d.fingerprint)}")


def _projects(keyring: Path) -> set[Path]:
    projects = {Path.cwd(), paths.PROJECT_ROOT}
    if keyring.resolve().parent.name == "keys":
        projects.add(keyring.resolve().parent.parent)
    return projects


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
