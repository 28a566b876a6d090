"""The demo (`wbs serve --demo`) sets up its desk with no question: a demo recovery key whose
shares lie in the demo's folder (public on purpose), the demo key granted the desk."""

from __future__ import annotations

import json
import stat

from click.testing import Result
from rich.console import Console

from functions.config import open_storage
from functions.keyring import KeyEntry, Keyring, dump, load
from tests.desks.cli import Home, wbs
from wbs import demo, keyfile, paths
from wbs.desks import recovery
from wbs.desks.keys import unlock


def demo_grants() -> list[tuple[str, bytes]]:
    store = open_storage(paths.demo_storage_url())
    return [(i.key, store.get(i.key)) for i in store.list("desks/")]


def demo_state() -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in paths.home().rglob("*") if p.is_file()}


def as_demo_recovery(command: str, *args: str) -> Result:
    """`wbs desks COMMAND` signed by the demo's recovery key, from its public shares file."""
    return wbs(
        "desks",
        command,
        *args,
        "--recovery",
        f"--shares-file={demo.shares_file()}",
        f"--keyring={paths.demo_keyring()}",
        f"--storage={paths.demo_storage_url()}",
    )


def test_the_demo_gets_a_desk_its_grants_and_public_shares(home: Home) -> None:
    # When the demo starts for the first time
    demo.ensure_key()

    # Then its keyring has the demo key, desk inspektorat and the recovery key
    ring = load(paths.demo_keyring())
    assert [k.label for k in ring.keys] == [demo.LABEL]
    desk = ring.desk("inspektorat")
    assert ring.recovery is not None
    # And the demo key, unlocked with the public passphrase, holds the desk
    identity = keyfile.unlock(paths.demo_key(), demo.PASSPHRASE)
    assert set(unlock(identity, ring, demo_grants()).desks) == {desk.kid}
    # And the shares file (mode 0600) gives the recovery key back, which holds the desk too
    shares = demo.shares_file()
    assert stat.S_IMODE(shares.stat().st_mode) == 0o600
    lines = [x for x in shares.read_text().splitlines() if x and not x.startswith("#")]
    assert len(lines) == 5
    rescuer = recovery.identity(recovery.combine(lines[2:]))
    assert rescuer.kid == ring.recovery.kid
    assert set(unlock(rescuer, ring, demo_grants()).desks) == {desk.kid}
    assert "public on purpose" in shares.read_text()
    # And starting again changes nothing
    before = demo_state()
    demo.ensure_key()
    assert demo_state() == before
    # And the banner names the shares file and says it is public
    console = Console(record=True, width=200)
    console.print(demo.banner("http://127.0.0.1:8000"))
    text = console.export_text()
    assert str(shares) in text and "public on purpose" in text


def test_a_lost_demo_keyring_is_rebuilt_from_storage_with_the_demo_shares(home: Home) -> None:
    demo.ensure_key()
    ring = load(paths.demo_keyring())
    paths.demo_keyring().unlink()
    demo.ensure_key()
    again = load(paths.demo_keyring())
    assert again.desks == ring.desks
    assert again.recovery is not None and ring.recovery is not None
    assert again.recovery.kid == ring.recovery.kid
    assert [k.kid for k in again.keys] == [k.kid for k in ring.keys]


def test_an_older_demo_keyring_without_desks_is_given_one(home: Home) -> None:
    # Given a demo from before desks: the key, and a keyring of persons only
    paths.make_private_dir(paths.keys_dir())
    keyfile.create(paths.demo_key(), keyfile.generate(), demo.PASSPHRASE, demo.LABEL)
    info = keyfile.inspect(paths.demo_key())
    old = KeyEntry.for_public_key(info.public_key, demo.LABEL, "2026-01-01", info.signing_key)
    dump(Keyring((old,)), paths.demo_keyring())
    document = json.loads(paths.demo_keyring().read_text())
    paths.demo_keyring().write_text(
        json.dumps({"format": "wbs-keyring/2", "keys": document["keys"]})
    )
    # When the demo starts
    demo.ensure_key()
    # Then it has its desk, held by the same demo key
    ring = load(paths.demo_keyring())
    identity = keyfile.unlock(paths.demo_key(), demo.PASSPHRASE)
    assert ring.desk("inspektorat").kid in unlock(identity, ring, demo_grants()).desks


def test_the_demo_shares_grant_a_new_inspector(home: Home) -> None:
    # The demo shows a recovery: its shares file grants a new inspector the demo desk
    demo.ensure_key()
    out = home.keys / "cici.key"
    keyring = str(paths.demo_keyring())
    made = wbs("keys", "new", "--label", "Cici", "--out", str(out), "--keyring", keyring)
    assert made.exit_code == 0, made.output
    cici = keyfile.inspect(out).kid
    result = as_demo_recovery("add-member", "--desk=inspektorat", f"--member={cici}")
    assert result.exit_code == 0, result.output
    ring = load(paths.demo_keyring())
    identity = keyfile.unlock(out, "kata sandi yang panjang")
    assert ring.desk("inspektorat").kid in unlock(identity, ring, demo_grants()).desks


def test_the_demo_desk_can_be_made_hybrid_with_the_demo_shares(home: Home) -> None:
    # The demo shows post-quantum desks too: its key and recovery key carry X-Wing keys, so
    # one rotation with the shares file makes its desk hybrid, still held by the demo key
    demo.ensure_key()
    result = as_demo_recovery("rotate", "--desk=inspektorat", "--hybrid")
    assert result.exit_code == 0, result.output
    ring = load(paths.demo_keyring())
    desk = ring.desk("inspektorat")
    assert desk.hybrid and desk.generation == 2
    identity = keyfile.unlock(paths.demo_key(), demo.PASSPHRASE)
    assert desk.kid in unlock(identity, ring, demo_grants()).desks
