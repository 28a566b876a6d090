"""The statistics' fixture: five cases with known dates, categories, desks, offices,
statuses and replies, and every number `wbs inbox stats` must count over them (worked out by
hand). Shared by tests/test_stats.py (the CLI) and tests/test_workbench_stats.py (the page)."""

from __future__ import annotations

import base64
import datetime
from pathlib import Path

from nacl.public import PrivateKey

from functions.keyring import load_active
from tests.support.inbox import (
    CANARY,
    FIRST,
    SECOND,
    THIRD,
    add_inspector_key,
    desk_keys,
    payload,
    post_followup,
    put,
    wbs,
)
from tests.support.membership import Institution
from tests.support.reporter import case_key_text
from wbs.cache import Cache
from wbs.cases import answering
from wbs.crypto import Identity

UTC = datetime.UTC
FOURTH, OLDER = "9ABCDEFGHJKMNPQR", "9ZZZZZZZ00000000"
TODAY = "2026-11-20"
REPORTER = PrivateKey.generate()  # the reporters' mailbox key: only sealed to here
# Five working days to acknowledge, thirty to give feedback; Wednesday 7 October a holiday.
CONFIG = """
[institution]
name = "Inspektorat Jenderal KPU"

[deadlines]
acknowledge = {count = 5, unit = "working_days"}
feedback = {count = 30, unit = "working_days"}
holidays = ["2026-10-07"]

[[categories]]
id = "korupsi"
label.id = "Tindak Pidana Korupsi"
label.en = "Corruption"

[[categories]]
id = "pungutan-liar"
label.id = "Pungutan Liar"

[[desks]]
id = "jabar"
name.id = "Inspektorat Wilayah Jawa Barat"

[[offices]]
id = "kpu-dki"
desk = "inspektorat"
name.id = "KPU Provinsi DKI Jakarta"
"""
PERIOD = ("--from", "2026-10-01", "--to", "2026-11-30", "--today", TODAY)


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return path


def content(report_id: str, category: tuple[str, str], office: str | None) -> dict[str, object]:
    extra: dict[str, object] = {"route": {"office": office, "concerns_staff": False}}
    return payload(
        category={"id": category[0], "label": category[1]},
        reporter_signing_key=case_key_text(report_id),
        reporter_public_key=base64.b64encode(bytes(REPORTER.public_key)).decode(),
        **(extra if office is not None else {}),
    )


def at(day: str, hour: int = 3) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def make_cases(tmp_path: Path) -> Identity:
    """Five cached cases (the storage and the cache under ``tmp_path``, WBS_HOME private:
    tests/support/inbox.py's ``use_private_home``); the inspector is a member of desks
    inspektorat and jabar.

    A (FIRST)  received Mon 5 Oct (Jakarta), pungutan-liar, inspektorat, office kpu-dki;
               a reply Wed 7 Oct (a holiday: 1 working day, met), selesai Mon 19 Oct
               (9 working days: 6, 8, 9, 12-16, 19 October; met).
    B (SECOND) received 31 Oct 18:00 UTC = Sun 1 Nov 01:00 in Jakarta, korupsi, both desks,
               office kab-bandung (not in the config); sedang-diverifikasi Tue 10 Nov:
               7 working days (2-6, 9, 10 November) against a deadline of Fri 6 Nov: missed;
               no feedback yet (deadline mid-December: pending).
    C (THIRD)  received Mon 2 Nov, a category id the config lacks, jabar, no office asked;
               only the reporter wrote: not acknowledged, its deadline Mon 9 Nov is past on
               20 Nov: overdue.
    D (FOURTH) received Tue 3 Nov, sealed to a key nobody here holds: not readable.
    E (OLDER)  received 30 Sep 16:59:59 UTC = 23:59:59 in Jakarta: before the period.
    """
    inspector = add_inspector_key("Inspektur", desks=("inspektorat", "jabar"))
    here = Institution.here()
    store = here.store
    both = desk_keys(["inspektorat", "jabar"])
    # The labels the reports carry are never shown: the config's names are (else the id)
    korupsi, pungli = ("korupsi", f"Korupsi {CANARY}"), ("pungutan-liar", f"Pungli {CANARY}")
    hostile = (f"x-{CANARY}", "")  # a category id the config does not know
    stranger = bytes(PrivateKey.generate().public_key)
    for report_id, to, category, office, received in (
        (FIRST, desk_keys(["inspektorat"]), pungli, "kpu-dki", "2026-10-05T02:00:00Z"),
        (SECOND, both, korupsi, "kab-bandung", "2026-10-31T18:00:00Z"),
        (THIRD, desk_keys(["jabar"]), hostile, None, "2026-11-02T01:00:00Z"),
        (FOURTH, [stranger], korupsi, "", "2026-11-03T01:00:00Z"),
        (OLDER, both, korupsi, "", "2026-09-30T16:59:59Z"),
    ):
        put(store, report_id, to, content(report_id, category, office), received)
    post_followup(store, THIRD, f"tambahan {CANARY}", at("2026-11-05"), desk_keys(["jabar"]))
    assert wbs("inbox", "sync", passphrase=None).exit_code == 0

    cache = Cache.for_storage(f"local:{tmp_path / 'store'}")
    ring = load_active(here.path)
    reader = here.reader(inspector)

    def answer(report_id: str) -> answering.Answerable:
        return answering.answerable(store, cache, report_id, ring, reader)

    answering.reply(answer(FIRST), f"Terima kasih {CANARY}", at("2026-10-07"))
    answering.change_status(answer(FIRST), "selesai", "", "", at("2026-10-19"))
    answering.change_status(answer(SECOND), "sedang-diverifikasi", "", "", at("2026-11-10"))
    answering.reply(answer(OLDER), "lama", at("2026-10-01"))
    return inspector


EXPECTED = {
    ("reports", "total"): 4,
    ("reports", "readable"): 3,
    ("reports", "unreadable"): 1,
    ("reports", "undated"): 0,
    ("month", "2026-10"): 1,
    ("month", "2026-11"): 3,  # B counts in November (Jakarta), D too (its date is known)
    ("category", "pungutan-liar"): 1,
    ("category", "korupsi"): 1,
    ("category", "?"): 1,  # C's category is none of the config's
    ("desk", "inspektorat"): 2,
    ("desk", "jabar"): 2,
    ("office", "kpu-dki"): 1,
    ("office", "?"): 1,  # B's office kab-bandung is not in the config
    ("office", "-"): 1,
    ("status", "menunggu-verifikasi"): 1,
    ("status", "sedang-diverifikasi"): 1,
    ("status", "selesai"): 1,
    ("status", "ditolak"): 0,
    ("acknowledge", "unit"): "working_days",
    ("acknowledge", "done"): 2,
    ("acknowledge", "median"): 4,  # of 1 and 7
    ("acknowledge", "p90"): 7,
    ("acknowledge", "met"): 1,
    ("acknowledge", "missed"): 1,
    ("acknowledge", "overdue"): 1,
    ("acknowledge", "pending"): 0,
    ("feedback", "done"): 1,
    ("feedback", "median"): 9,
    ("feedback", "p90"): 9,
    ("feedback", "met"): 1,
    ("feedback", "missed"): 0,
    ("feedback", "overdue"): 0,
    ("feedback", "pending"): 2,
    ("overdue", "acknowledge"): 1,
    ("overdue", "feedback"): 0,
    ("overdue", "total"): 1,
}
