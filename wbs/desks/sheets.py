"""The recovery key's share sheets: one printable page per word share, for the officials who
keep the shares apart (docs/inspector.md, "Desks, members and the recovery key").

A sheet names the institution, the share's number among all of them, how many shares restore
the key, the recovery key's id and fingerprint (so a holder can tell which key it belongs
to), the date, lines for the holder's and the hander's names and signatures, and what to do
with it; in Indonesian, then English. It is plain text, 80 columns: printable with any tool
(``lp``), never opened in a browser that could keep it in a cache or a session.

Sheets are shown on the terminal one at a time (wbs/commands/desks.py); they are written to
files only when asked, one file a share (mode 0600) in a private folder (0700) outside any
repository, keys/ or site/.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from functions.errors import WbsError
from functions.keyring import RecoveryEntry, grouped
from wbs import paths
from wbs.desks import recovery

COLUMNS = 3
WORD_LINE_RE = re.compile(r"(?:\s*(\d{1,2})\s+([a-z]+))")
WORDS_START = "-- kata / words --"
WORDS_END = "-- akhir / end --"


class SheetError(WbsError, ValueError):
    """Share sheets cannot be written where asked."""


@dataclass(frozen=True)
class Sheet:
    number: int  # 1 .. count: the holder's slot, "share 2 of 5"
    count: int
    threshold: int
    words: tuple[str, ...]
    institution: str
    kid: str
    fingerprint: str
    date: str
    set_id: int  # the SLIP-39 identifier every share of one set carries
    replaces: int | None = None  # the set this one replaces (wbs desks reissue-shares)

    @property
    def name(self) -> str:
        return f"recovery-share-{self.number}-of-{self.count}.txt"


def make(
    shares: Sequence[str],
    entry: RecoveryEntry,
    institution: str,
    date: str | None = None,
    replaces: int | None = None,
) -> list[Sheet]:
    """One sheet per share, in the shares' own order (their SLIP-39 member index), dated
    ``date`` (default: the key's creation) and naming the set it ``replaces``, if any."""
    out = []
    for words in shares:
        share = recovery.read_share(words)
        out.append(
            Sheet(
                share.index + 1,
                entry.shares,
                entry.threshold,
                tuple(words.split()),
                institution,
                entry.kid,
                entry.fingerprint,
                date or entry.created,
                share.identifier,
                replaces,
            )
        )
    return sorted(out, key=lambda s: s.number)


def render(sheet: Sheet) -> str:
    """The sheet as plain text, 80 columns wide."""
    n, k = sheet.count, sheet.threshold
    fp = grouped(sheet.fingerprint)
    half = len(fp) // 2 + 1
    lines = [
        "=" * 78,
        f"KUNCI PEMULIHAN WBS - BAGIAN {sheet.number} DARI {n}",
        f"WBS RECOVERY KEY - SHARE {sheet.number} OF {n}",
        sheet.institution,
        "=" * 78,
        "RAHASIA. Jangan difoto, dipindai, disalin, diketik atau dikirim.",
        "SECRET. Never photograph, scan, copy, type or send it.",
        "",
        f"Bagian / Share            {sheet.number} dari / of {n}",
        f"Ambang / Threshold        {k} bagian mana pun dari {n} memulihkan kunci ini",
        f"                          any {k} of the {n} shares restore this key",
        f"Kunci / Recovery key id   {sheet.kid}",
        f"Sidik jari / Fingerprint  {fp[:half].strip()}",
        f"                          {fp[half:].strip()}",
        f"Set                       {sheet.set_id} (sama di setiap bagian / same on every share)",
        f"Dibuat / Created          {sheet.date}",
        *_replacing(sheet.replaces),
        "",
        f"{len(sheet.words)} kata, berurutan / {len(sheet.words)} words, in this order:",
        WORDS_START,
        *_grid(sheet.words),
        WORDS_END,
        "",
        "Pemegang / Holder",
        "  Nama / Name               ____________________________________________",
        "  Jabatan / Position        ____________________________________________",
        "  Tanda tangan / Signature  ______________________  Tanggal / Date ________",
        "Diserahkan oleh / Handed over by",
        "  Nama / Name               ____________________________________________",
        "  Tanda tangan / Signature  ______________________  Tanggal / Date ________",
        "",
        "Petunjuk / Instructions",
        *_instructions(k, n),
        "=" * 78,
    ]
    return "\n".join(lines) + "\n"


def _replacing(old_set: int | None) -> list[str]:
    if old_set is None:
        return []
    return [
        f"Menggantikan / Replaces   set {old_set}: semua lembarnya dimusnahkan",
        f"                          set {old_set}: every sheet of it is destroyed",
    ]


def _grid(words: Sequence[str]) -> list[str]:
    rows = -(-len(words) // COLUMNS)
    out = []
    for row in range(rows):
        cells = [
            f"{i + 1:>4}  {words[i]:<14}" for i in range(row, len(words), rows) if i < len(words)
        ]
        out.append("".join(cells).rstrip())
    return out


def _instructions(k: int, n: int) -> list[str]:
    steps = [
        (
            "Simpan lembar ini dalam amplop tertutup di tempat terkunci yang hanya dapat Anda"
            " buka, terpisah dari bagian lain.",
            "Keep this sheet in a sealed envelope, in a locked place only you can open, apart"
            " from every other share.",
        ),
        (
            f"{k} bagian mana pun bersama-sama memulihkan kunci yang membaca semua laporan:"
            " jangan simpan dua bagian di satu tempat atau pada satu orang.",
            f"Any {k} of the {n} shares together restore the key that reads every report: never"
            " keep two shares in one place or with one person.",
        ),
        (
            "Ketik sendiri kata-kata ini hanya saat Inspektorat meminta pemulihan atau uji"
            " pemulihan (wbs desks ...); layar dibersihkan sesudahnya.",
            "Type these words yourself, only when the inspectorate asks for a recovery or a"
            " drill (wbs desks ...); the screen is cleared afterwards.",
        ),
        (
            "Jika lembar ini hilang, rusak atau dilihat orang lain, segera beri tahu pimpinan"
            " Inspektorat.",
            "If this sheet is lost, damaged or seen by someone else, tell the head of the"
            " inspectorate at once.",
        ),
        (
            "Saat Anda meninggalkan jabatan, serahkan lembar ini langsung kepada pengganti Anda;"
            " keduanya menandatangani di atas.",
            "When you leave your post, hand this sheet to your successor in person; both of you"
            " sign above.",
        ),
        (
            "Kata-kata terakhir adalah checksum (SLIP-39): kata yang salah ketik langsung"
            " ketahuan.",
            "The last words are a checksum (SLIP-39): a mistyped word is noticed at once.",
        ),
    ]
    out = []
    for i, (indonesian, english) in enumerate(steps, 1):
        out += _wrap(f"{i:>2}. ", indonesian) + _wrap("    ", english)
    return out


def _wrap(first: str, text: str, width: int = 78) -> list[str]:
    lines, line = [], first
    for word in text.split():
        if len(line) + len(word) + 1 > width and line.strip():
            lines.append(line.rstrip())
            line = " " * len(first)
        line += word + " "
    return [*lines, line.rstrip()]


def words_of(text: str) -> str:
    """The share written on a sheet, its words in order: what a holder types back."""
    inside = text.partition(WORDS_START)[2].partition(WORDS_END)[0]
    found = sorted((int(n), w) for n, w in WORD_LINE_RE.findall(inside))
    return " ".join(word for _, word in found)


# --- writing sheets to files, only when asked ----------------------------------------------


def check_folder(folder: Path, projects: Iterable[Path]) -> None:
    """SheetError unless share sheets may be written into ``folder``: outside any git work
    tree, keys/ and site/; a new folder, or an empty one only this user may enter."""
    why = paths.unsafe_place(folder, projects)
    if why is not None:
        raise SheetError(
            f"refusing to write recovery shares {why}",
            hint="name a folder outside the repository, ideally on a RAM disk (/dev/shm/...)"
            " or an encrypted removable drive",
        )
    if not folder.exists():
        return
    if not folder.is_dir():
        raise SheetError(f"{folder} is not a folder", hint="--sheets names a folder to create")
    if any(folder.iterdir()):
        raise SheetError(
            f"{folder} is not empty", hint="name a new folder, so that no old sheet mixes in"
        )
    if stat.S_IMODE(folder.stat().st_mode) & 0o077:
        raise SheetError(
            f"{folder} can be entered by other users of this machine",
            hint=f"chmod 700 {folder}, or name a new folder (it is created with mode 0700)",
        )


def write(folder: Path, sheets: Sequence[Sheet]) -> list[Path]:
    """Each sheet into a new file (mode 0600) of ``folder`` (created with mode 0700). If one
    cannot be written, the ones already written are removed, and the error raised."""
    paths.make_private_dir(folder)
    written: list[Path] = []
    try:
        for sheet in sheets:
            path = folder / sheet.name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            written.append(path)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(render(sheet))
                f.flush()
                os.fsync(f.fileno())
    except BaseException:
        remove(written)
        raise
    return written


def remove(written: Iterable[Path]) -> None:
    """Remove sheet files (best effort): a setup that failed leaves no share behind."""
    for path in written:
        with contextlib.suppress(OSError):
            path.unlink()
