"""The end-to-end tests' institution (tests/support/system.py) as `wbs keys new` and
`wbs desks init` make it, in their own processes: anna and bima are members of every desk,
the retired key of none, and the share sheets give the recovery key back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from functions.keyring import load
from functions.storage import LocalStorage
from tests.support.host import WBS
from tests.support.system import PASSPHRASE, recovery_shares
from wbs import keyfile
from wbs.desks import recovery
from wbs.desks.keys import unlock


def test_the_system_s_desks_are_held_by_anna_and_bima(inspector_keys: Path, tmp_path: Path) -> None:
    ring = load(inspector_keys / "keyring" / "keyring.json")
    store = LocalStorage(inspector_keys / "storage")
    stored = [(i.key, store.get(i.key)) for i in store.list("desks/")]
    desks = {d.kid for d in ring.active_desks()}
    assert desks and ring.recovery is not None
    for name, holds in (("anna", True), ("bima", True), ("retired", False)):
        identity = keyfile.unlock(inspector_keys / "keys" / f"{name}.key", PASSPHRASE)
        assert (set(unlock(identity, ring, stored).desks) == desks) is holds, name
    shares = recovery_shares(inspector_keys)
    assert len(shares) == 5
    assert recovery.identity(recovery.combine(shares[2:])).kid == ring.recovery.kid
    # And the recovery drill runs in a process of its own, shares on standard input
    keyring = tmp_path / "keyring.json"
    shutil.copy(inspector_keys / "keyring" / "keyring.json", keyring)
    env = {**os.environ, "WBS_KEYRING": str(keyring), "WBS_HOME": str(tmp_path)}
    drill = subprocess.run(
        [WBS, "desks", "check-shares", "--shares-file", "-"],
        input="\n".join(shares[1:4]),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert drill.returncode == 0, drill.stderr
    assert f"give the recovery key {ring.recovery.kid}" in drill.stdout
    assert json.loads(keyring.read_text()) == ring.to_json()
