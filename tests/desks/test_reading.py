"""Issue 14: inspectors read and write through desk keys (docs/spec/desks-v2.md), in the CLI
and the workbench, on real keys and real local storage: reports are sealed to desks and the
recovery key, never to persons, and a person reads through the grants a sync brings."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.storage import LocalStorage
from tests.support.inbox import (
    CANARY,
    add_inspector_key,
    desk_keys,
    payload,
    put,
    use_private_home,
    wbs,
)
from tests.support.membership import Institution
from tests.support.reporter import case_key_text
from wbs import paths

IDS = [f"7K3M{n:012d}" for n in range(20)]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_private_home(tmp_path, monkeypatch)


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")


def key_path(kid: str) -> str:
    return str(paths.keys_dir() / f"{kid}.key")


def test_a_member_added_after_20_reports_reads_all_20_in_the_cli(store: LocalStorage) -> None:
    # Given a desk with one member, and 20 reports sealed to the desk and the recovery key
    first = add_inspector_key("Irban I")
    for n, report_id in enumerate(IDS):
        content = payload(
            title=f"Laporan {n} {CANARY}", reporter_signing_key=case_key_text(report_id)
        )
        put(store, report_id, desk_keys(), content)
    assert wbs("inbox", "sync").exit_code == 0
    # When a second inspector joins the desk afterwards (a grant of its key, nothing else)
    second = add_inspector_key("Irban II")
    assert second.public_key not in desk_keys()

    # Then, before a sync brought the grant, the newcomer reads none of them
    listed = wbs("inbox", "list", "--key", key_path(second.kid))
    assert listed.exit_code == 1 and "20 of 20 reports could not be opened" in listed.stderr
    # And after it, every one of the 20
    synced = wbs("inbox", "sync")
    assert synced.exit_code == 0, synced.output
    listed = wbs("inbox", "list", "--key", key_path(second.kid))
    assert listed.exit_code == 0, listed.output
    for n in range(20):
        assert f"Laporan {n} {CANARY}" in listed.stdout
    shown = wbs("inbox", "show", IDS[7], "--key", key_path(second.kid))
    assert shown.exit_code == 0, shown.output
    assert f"Laporan 7 {CANARY}" in shown.stdout
    # The first member still reads them as before
    assert wbs("inbox", "show", IDS[3], "--key", key_path(first.kid)).exit_code == 0
    # And no report names a person among its recipients
    ring = Institution.here().ring
    assert {k.kid for k in ring.keys} == {first.kid, second.kid}
