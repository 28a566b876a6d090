"""``wbs desks check-shares`` and ``wbs desks reissue-shares``: the recovery key's word shares
after `wbs desks init` made them (docs/spec/desks-v2.md section 4.2; docs/inspector.md, "The
recovery drill" and "Handing the shares to new holders").

Both put the recovery key together in memory from any k shares and store nothing: a drill
compares it with the keyring, a reissue splits the same key again into a new set. Neither
changes the key, so nothing is rebuilt and no grant is written.
"""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path
from typing import IO

import click

from functions.errors import WbsError
from functions.keyring import dump, load
from wbs.commands import granting
from wbs.commands.desks import (
    check_sheets_place,
    check_split,
    institution,
    reading_shares,
    sheets_option,
    show_sheets,
)
from wbs.commands.options import config_option, keyring_option
from wbs.desks import recovery, sheets
from wbs.desks.membership import DeskError


@click.command("check-shares")
@reading_shares("Read")
@keyring_option
def check_shares(shares_file: IO[str] | None, keyring: Path) -> None:
    """A recovery drill that changes nothing: do these shares give the recovery key?

    Any k holders type their shares, one by one (or --shares-file); the shares are put
    together in memory and compared with the keyring's recovery key. Nothing is stored or
    written. Run it once the sheets are handed out, and yearly: a share copied wrongly, or
    a holder who lost theirs, is found before a recovery needs it.
    """
    ring = load(keyring)
    entry = granting.recovery_entry(ring)
    rescuer = granting.rescuer(entry, shares_file)
    click.echo(
        f"the shares give the recovery key {rescuer.kid} ({entry.label}) of {keyring}:"
        " nothing was changed"
    )


@click.command("reissue-shares")
@click.option(
    "--threshold",
    type=click.IntRange(1, 16),
    help="How many of the new shares restore the recovery key  [default: as now]",
)
@click.option(
    "--shares",
    "count",
    type=click.IntRange(1, 16),
    help="How many new shares to make: one per holder  [default: as now]",
)
@sheets_option
@reading_shares("Read the current")
@keyring_option
@config_option
def reissue_shares(
    threshold: int | None,
    count: int | None,
    folder: Path | None,
    shares_file: IO[str] | None,
    keyring: Path,
    config: Path | None,
) -> None:
    """Split the same recovery key again into a new set of shares, for new holders.

    For a holder who leaves their post or lost their sheet, or to change how many shares
    there are: any k holders of the current set type their shares (or --shares-file); the
    recovery key is put together in memory and split into a new set, shown or written like
    `wbs desks init`'s. The key does not change: nothing is rebuilt and no grant is written;
    the keyring is rewritten only when --threshold or --shares change. The two sets cannot
    be mixed, but the old set still restores the key while k of its sheets exist: collect
    and destroy every one. A set that may be in the wrong hands needs a new recovery key,
    which cannot be made yet (docs/spec/desks-v2.md section 11).
    """
    ring = load(keyring)
    entry = granting.recovery_entry(ring)
    k, n = threshold or entry.threshold, count or entry.shares
    check_split(k, n)
    name = institution(config)
    check_sheets_place(folder, keyring)
    old = granting.restored(entry, shares_file)
    fresh = recovery.split(old.master, k, n)
    while (new_set := recovery.read_share(fresh[0]).identifier) == old.set_id:
        fresh = recovery.split(old.master, k, n)  # 1 in 32,768: the sets must be told apart
    if recovery.identity(recovery.combine(fresh[:k])).kid != entry.kid:  # never expected
        raise DeskError("the new shares do not give the recovery key back: nothing was made")
    today = datetime.date.today().isoformat()
    counted = dataclasses.replace(entry, threshold=k, shares=n)
    pages = sheets.make(fresh, counted, name, today, old.set_id)
    written = show_sheets(pages, folder)
    if (k, n) != (entry.threshold, entry.shares):
        try:  # onto the keyring as it is now: another change made meanwhile is kept
            current = load(keyring)
            if current.recovery is None or current.recovery.kid != entry.kid:
                raise DeskError("its recovery key changed meanwhile")
            dump(current.with_recovery_split(k, n), keyring)
        except (WbsError, OSError) as exc:
            sheets.remove(written)
            lost = "the sheet files were removed" if written else "destroy what was copied"
            raise DeskError(
                f"the keyring could not be written ({exc}): it still counts {entry.threshold}"
                f" of {entry.shares} shares, and the old set stays in use; {lost}",
                hint="run the command again once the keyring can be written",
            ) from None
    click.echo(f"recovery key  {entry.kid}  {entry.label}: unchanged")
    click.echo(f"new shares    set {new_set}: any {k} of {n}")
    click.echo(f"old shares    set {old.set_id}: collect and destroy every sheet of it")
    if written:
        click.echo(
            f"sheets        {len(written)} files in {folder} (mode 0600): print each, hand it to"
            " its holder, then delete the files"
        )
    click.echo(
        f"next: check the new set with `wbs desks check-shares` (any {k} holders), then destroy"
        f" the old sheets: until then any {entry.threshold} of them still give the key"
    )
