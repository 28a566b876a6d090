"""What reading each case's records costs the inbox (who handles it, what awaits approval).

    .venv/bin/python bench/bench_inbox_records.py [--cases 200] [--records 20]

In a temporary WBS_HOME: one desk with two members and the recovery key (the test
institution, tests/support/membership.py); N reports of the desk; per case R records as
inspectors leave them (access records, notes, an assignment, a proposal), all synced into the
cache. Then it measures, five rounds each, the best counting:

  without  the inbox's rows with the records left unread (what the inbox cost before
           assignment: reports and threads decrypted);
  with     the inbox's rows as `wbs inbox list` builds them, and the workbench's first inbox
           page: every record of every case decrypted and its signature checked;
  again    the workbench's next inbox pages: the workflow records it decrypted are kept
           (without their words: workflow.outline) while the same key is unlocked;
  list     the whole `wbs inbox list --unassigned` command (passphrase, table and all).
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from functions.storage import LocalStorage  # noqa: E402
from tests.support.inbox import (  # noqa: E402
    add_inspector_key,
    desk_keys,
    payload,
    put,
    use_private_home,
    wbs,
)
from tests.support.membership import Institution  # noqa: E402
from wbs import config, notes  # noqa: E402
from wbs.cache import Cache  # noqa: E402
from wbs.cases import inbox, readers, workflow  # noqa: E402


def best(run: Callable[[], object], rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--records", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        use_private_home(Path(tmp), patch)
        store = LocalStorage(Path(tmp) / "store")
        anna = add_inspector_key("Anna")
        add_inspector_key("Budi")
        here = Institution.here()
        ids = [f"7K3M{n:012d}" for n in range(args.cases)]
        for report_id in ids:
            put(store, report_id, desk_keys(), payload())
        cache = Cache.for_storage(f"local:{store.root}")
        assert wbs("inbox", "sync", "--key", str(_key(anna))).exit_code == 0
        reader = here.reader(anna)
        now = datetime.datetime.now(datetime.UTC)
        for n, report_id in enumerate(ids):
            audience = readers.audience_of(cache, here.ring, report_id, reader)
            for r in range(args.records):
                moment = now + datetime.timedelta(seconds=r)
                if r == 0 and n % 2:
                    document = {"schema": notes.ASSIGN_SCHEMA, "assignee": anna.kid}
                elif r == 1 and n % 5 == 0:
                    document = {
                        "schema": notes.PROPOSAL_SCHEMA,
                        "status": "ditolak",
                        "reason": "duplikat",
                        "text": "",
                    }
                elif r % 4 == 0:
                    document = {"schema": notes.SCHEMA, "text": f"Catatan {r}"}
                else:
                    document = {"schema": notes.ACCESS_SCHEMA, "action": "opened", "file": ""}
                notes.write_record(store, report_id, document, anna, audience, moment)
        assert wbs("inbox", "sync", "--key", str(_key(anna))).exit_code == 0
        total = len(cache.note_keys())
        rules = config.load(None)
        today = datetime.date.today()

        kept: dict[str, notes.Workflow | None] = {}

        def rows(outlines: dict[str, notes.Workflow | None] | None = None) -> None:
            inbox.rows(cache, reader, rules, today, {}, outlines=outlines)

        with_records = best(rows)
        rows(kept)
        again = best(lambda: rows(kept))
        empty = notes.Notes((), ())
        with pytest.MonkeyPatch.context() as before:
            before.setattr(workflow, "outline", lambda *_: empty)
            without = best(rows)
        listed = best(lambda: wbs("inbox", "list", "--unassigned", "--key", str(_key(anna))), 3)
        print(f"{args.cases} cases, {total} records ({args.records} per case)")
        print(f"  without  {without:6.2f} s   (records left unread)")
        print(f"  with     {with_records:6.2f} s   (+{with_records - without:.2f} s)")
        print(f"  again    {again:6.2f} s   (+{again - without:.2f} s)")
        print(f"  list     {listed:6.2f} s   (wbs inbox list --unassigned, whole command)")


def _key(who: object) -> Path:
    from wbs import paths

    return paths.keys_dir() / f"{who.kid}.key"  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
