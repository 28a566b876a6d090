"""The demo: a throw-away inspector key whose passphrase is public, one desk granted to it, and
a recovery key whose shares lie in the demo's folder, so that one command shows the whole
system working with no question asked. Never for real reports; it never touches
keys/keyring.json, and ``refuse`` keeps it out of every keyring a site is built or deployed
with, except the demo's own (``wbs serve --demo``).

The demo's keyring is derived state: when it is missing it is rebuilt from what the demo's
storage holds, with the demo's own recovery shares (which is what a recovery does), so the
reports already sent to the demo stay readable.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nacl.exceptions
from nacl.public import PrivateKey
from rich.panel import Panel
from rich.text import Text

from functions.config import open_storage
from functions.errors import NotFound, WbsError
from functions.keyring import DeskEntry, KeyEntry, Keyring, KeyringError, RecoveryEntry, dump, load
from functions.storage import Storage, layout
from wbs import keyfile, paths
from wbs.crypto import Identity
from wbs.desks import grants, membership, recovery

PASSPHRASE = "demo"  # noqa: S105 (public on purpose: that is what makes it a demo)
LABEL = "DEMO key - public passphrase, not for real reports"
DESK = "inspektorat"
THRESHOLD, SHARES = 3, 5


class DemoKeyError(WbsError, ValueError):
    """A keyring meant for real reports holds a key of the demo."""


def shares_file() -> Path:
    """The demo recovery key's shares, one per line: public on purpose, like the passphrase."""
    return paths.home() / "demo-recovery-shares.txt"


def ensure_key() -> None:
    """Create the demo key if missing; give the demo its desk, recovery key and grants when
    its keyring is missing or has none (rebuilding it from storage when the grants are there)."""
    key = paths.demo_key()
    if not key.exists():
        paths.make_private_dir(key.parent)
        keyfile.create(key, keyfile.generate(), PASSPHRASE, LABEL)
    info = keyfile.inspect(key)
    today = datetime.date.today().isoformat()
    person = KeyEntry.for_public_key(
        info.public_key, LABEL, today, info.signing_key, info.xwing_key
    )
    store = open_storage(paths.demo_storage_url())
    ring = _current(info.kid, store)
    if ring is not None:
        return
    if _stored(store, layout.desk_grant(DESK, 1, info.kid)):
        dump(_rebuilt(person, store), paths.demo_keyring())
        return
    membership.refuse_taken(store, DESK)
    made = membership.setup(Keyring((person,)), (DESK,), (person,), THRESHOLD, SHARES, _now())
    for stored_key, data in made.plan.grants:
        store.put_new(stored_key, data)
    _write_shares(made.shares, made.recovery)
    dump(made.plan.ring, paths.demo_keyring())


def found_in(ring: Keyring, keyring: Path) -> list[str]:
    """What in ``ring`` (read from ``keyring``) belongs to a demo, each named for a message;
    empty when nothing does. A keyring holds the demo when:

    - it is the demo's own keyring file ($WBS_HOME/demo-keyring.json);
    - one of its persons, active or retired, is a demo key: labelled as ``ensure_key`` labels
      it (a demo made on any machine), or this machine's demo key. Retired counts: the page
      trusts a retired person's signature on the replies it shows (signature-v2 section 4),
      and the demo key's passphrase is public;
    - an active desk is one of this machine's demo keyring's, or was founded by a demo key:
      its private key is granted to the demo key and to the demo recovery key;
    - its recovery key is this machine's demo recovery key, whose shares lie in a file.

    A retired desk generation is not counted: nothing new is sealed to it.
    """
    if keyring.resolve() == paths.demo_keyring().resolve():
        return ["every key of the demo (it is the demo's own keyring)"]
    local = _local_demo()
    person_kids = {k.kid for k in local.keys} if local else set()
    if paths.demo_key().is_file():
        with contextlib.suppress(WbsError, OSError, KeyError, TypeError, ValueError):
            person_kids.add(keyfile.inspect(paths.demo_key()).kid)
    found: list[str] = []
    demo_persons: set[str] = set()
    for key in ring.keys:
        if key.label == LABEL or key.kid in person_kids:
            demo_persons.add(key.kid)
            found.append(f"the DEMO key {key.kid} ({'active' if key.active else 'retired'})")
    desk_kids = {d.kid for d in local.desks} if local else set()
    for desk in ring.active_desks():
        if desk.kid in desk_kids or (desk.founder is not None and desk.founder in demo_persons):
            found.append(f"the demo's desk key {desk.kid} (desk {desk.desk})")
    rescuer = local.recovery if local else None
    if ring.recovery is not None and rescuer is not None and ring.recovery.kid == rescuer.kid:
        found.append(f"the demo's recovery key {ring.recovery.kid}")
    return found


def refuse(ring: Keyring, keyring: Path) -> None:
    """Raise DemoKeyError when ``ring`` (read from ``keyring``) holds a key of the demo
    (``found_in``): reports sealed with it could be read by anyone."""
    found = found_in(ring, keyring)
    if found:
        raise DemoKeyError(
            f"{keyring} holds {found[0]}{' and more' if len(found) > 1 else ''}: the demo's"
            " passphrase and recovery shares are public, so anyone could read the reports"
            " and sign replies",
            hint=f"remove the demo's entries from {keyring} (wbs desks init makes real desks),"
            " or try the system with wbs serve --demo",
        )


def _local_demo() -> Keyring | None:
    """This machine's demo keyring, when there is one that can be read."""
    try:
        return load(paths.demo_keyring()) if paths.demo_keyring().is_file() else None
    except (WbsError, OSError):
        return None


def _current(kid: str, store: Storage) -> Keyring | None:
    """The demo keyring, if it lists the demo key and its desk, and the demo key holds a
    grant of the desk's active generation in storage."""
    try:
        ring = load(paths.demo_keyring())
        desk = ring.desk(DESK)
    except KeyringError:
        return None
    if kid not in {k.kid for k in ring.keys} or ring.recovery is None:
        return None
    return ring if _stored(store, layout.desk_grant(DESK, desk.generation, kid)) else None


def _stored(store: Storage, key: str) -> bool:
    return any(item.key == key for item in store.list(key))


def _rebuilt(person: KeyEntry, store: Storage) -> Keyring:
    """The demo keyring again, from the demo's recovery shares and the desk grants its
    recovery key holds in storage: every generation, each checked against its signature."""
    try:
        lines = shares_file().read_text(encoding="utf-8").splitlines()
        texts = [line for line in lines if line.strip() and not line.startswith("#")]
        share = recovery.read_share(texts[0])
        rescuer = recovery.identity(recovery.combine(texts[: share.member_threshold]))
    except (OSError, IndexError, WbsError) as exc:
        raise WbsError(
            f"the demo's keyring is gone and its recovery shares cannot rebuild it ({exc})",
            hint=f"start the demo afresh: remove {paths.demo_key()} and {_desks_folder()}",
        ) from None
    ring = Keyring((person,)).with_recovery(
        RecoveryEntry.for_public_key(
            rescuer.public_key,
            rescuer.verify_key or b"",
            recovery.LABEL,
            person.created,
            share.member_threshold,
            SHARES,
        )
    )
    generation = 1
    while True:
        try:
            grant = grants.parse(
                key := layout.desk_grant(DESK, generation, rescuer.kid), store.get(key)
            )
        except NotFound:
            break
        ring = ring.with_desk(_opened(grant, rescuer))
        if grants.check(grant, ring):
            raise WbsError(f"the demo's grant {key} is not valid", hint=f"remove {_desks_folder()}")
        generation += 1
    if not ring.desks:
        raise WbsError("the demo's storage holds no grant of its recovery key")
    return ring


def _opened(grant: grants.Grant, rescuer: Identity) -> DeskEntry:
    try:
        secret = PrivateKey(rescuer.unsealer().decrypt(grant.sealed))
    except (nacl.exceptions.CryptoError, ValueError):
        raise WbsError("a demo grant does not open", hint=f"remove {_desks_folder()}") from None
    return DeskEntry.for_public_key(
        DESK, grant.generation, bytes(secret.public_key), grant.granted[:10]
    )


def _write_shares(shares: tuple[str, ...], entry: RecoveryEntry) -> None:
    """The demo's shares, replacing any earlier demo's atomically (mode 0600)."""
    header = [
        "# DEMO recovery key shares: public on purpose, like the demo passphrase.",
        f"# Recovery key {entry.kid}: any {entry.threshold} of these {entry.shares} lines"
        " restore it, e.g.",
        f"#   wbs desks add-member --desk {DESK} --member KID --recovery --shares-file"
        f" {shares_file()}",
        "# A real recovery key's shares are never written to a file (docs/inspector.md).",
    ]
    target = shares_file()
    paths.make_private_dir(target.parent)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".demo-shares-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join([*header, *shares]) + "\n")
    os.replace(tmp, target)


def _desks_folder() -> Path:
    return Path(paths.demo_storage_url().removeprefix("local:")) / layout.desk_grants(DESK)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _command() -> str:
    """How to call wbs from here: by name when it is on PATH, else by its path."""
    return "wbs" if shutil.which("wbs") else os.path.relpath(sys.argv[0])


def banner(url: str) -> Panel:
    text = Text()
    text.append("DEMO MODE: NOT FOR REAL REPORTS\n\n", style="bold")
    text.append(
        f"Reports sent to {url} are sealed to a DEMO desk held by a DEMO inspector key whose"
        f' passphrase is public ("{PASSPHRASE}"), and to a DEMO recovery key whose shares are'
        " in a file beside it: anyone with this machine can read them."
        " Never use this setup for a real report.\n\n"
    )
    text.append(f"demo key      {paths.demo_key()}\n")
    text.append(f"demo keyring  {paths.demo_keyring()}\n")
    text.append(f"demo shares   {shares_file()}  (public on purpose)\n")
    text.append(f"storage       {paths.demo_storage_url()}\n\n")
    text.append("Read what was sent:\n", style="bold")
    wbs = _command()
    text.append(f"  {wbs} inbox sync && WBS_PASSPHRASE={PASSPHRASE} {wbs} inbox list")
    return Panel(text, title="wbs serve --demo", border_style="bold red", expand=False)
