"""Load against the local host (issue 6, part 5): 1,000 reports from 50 concurrent clients,
none lost, none stored twice (50 of them are sent twice at once), each decryptable by the
inspector to its own canary.

The host is the real one (``functions.host.make_server``, waitress with its default four
worker threads) on 127.0.0.1, in this process, storing into a local folder. The clients
are 50 threads with a keep-alive connection each (tests/support/load.py). The test asserts
correctness only and prints the latency distribution; bench/bench_load.py measures it
against ``wbs serve`` in its own process, where the numbers belong.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from functions.config import Settings
from functions.host import make_server
from tests.support.api import RECOVERY, write_keyring
from tests.support.host import serving
from tests.support.inbox import add_inspector_key, use_private_home, wbs
from tests.support.load import (
    check_decryption,
    check_storage,
    stored_files,
    submissions,
    submit_all,
)
from wbs.cache import Cache

pytestmark = pytest.mark.slow  # a thousand reports from fifty clients

REPORTS = 1000
CLIENTS = 50
TWICE = 50  # reports also sent a second time, by another client, at about the same moment


def test_a_thousand_reports_from_fifty_clients_are_each_stored_once_and_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the local host with a folder for storage, and a desk key and the recovery key in
    # the keyring
    use_private_home(tmp_path, monkeypatch)
    monkeypatch.setenv("WBS_POW_DIFFICULTY", "0")  # the load is the reports, not the proofs
    inspector = add_inspector_key()
    keyring = write_keyring(tmp_path / "keyring.json", [inspector.public_key])
    root = tmp_path / "store"  # WBS_STORAGE, where `wbs inbox` looks
    work = submissions(REPORTS, [inspector.public_key, RECOVERY.public_key])
    server = make_server(None, Settings(f"local:{root}", keyring), port=0)

    # When 50 clients send 1,000 reports, each under its own receipt code, all at once, and
    # 50 of them twice (the same bytes, by two clients at about the same time)
    before = stored_files(root)  # the desk's grants, made with the inspector's key
    with serving(server):
        run = submit_all(server.effective_port, work, CLIENTS, twice=TWICE)
    with capsys.disabled():
        print(f"\n[load] {run.summary()}")

    # Then every request is answered 201, with its report's id and receipt time: the same
    # answer for both copies of a report sent twice
    assert run.statuses == {201: REPORTS + TWICE}, run.summary()
    answers: dict[str, set[str]] = {}
    for outcome in run.outcomes:
        answer = json.loads(outcome.body)
        assert answer["id"] == outcome.submission.id
        answers.setdefault(answer["id"], set()).add(answer["received"])
    assert len(answers) == REPORTS
    assert all(len(times) == 1 for times in answers.values())
    # And storage holds exactly 1,000 reports and 1,000 verifiers, each report as sent
    assert check_storage(root, work, before) == []

    # When the inspector syncs and decrypts
    synced = wbs("inbox", "sync", passphrase=None)
    assert synced.exit_code == 0, synced.output
    assert f"{REPORTS} new reports ({REPORTS} in the cache)" in synced.stdout
    # Then each report opens, once, to its own canary
    assert check_decryption(Cache.for_storage(f"local:{root}"), inspector, work) == []
    listed = wbs("inbox", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.count("Laporan beban") == REPORTS
