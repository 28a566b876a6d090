"""Registration numbers (nomor registrasi): a report's 16-character id, shown in groups of 4.

People type them back with dashes or spaces, in either case, and with the look-alikes that
Crockford's base32 forgives (I and L for 1, O for 0); any unique prefix picks a report.
"""

from __future__ import annotations

from collections.abc import Iterable

from functions.errors import WbsError

ALPHABET = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
HINT = "see the registration numbers with: wbs inbox list"


class UnknownReport(WbsError, LookupError):
    """No report, or more than one, matches a registration number."""


def display(report_id: str) -> str:
    return "-".join(report_id[i : i + 4] for i in range(0, len(report_id), 4))


def normalize(text: str) -> str:
    """Upper case, no separators, look-alikes replaced; refuse anything else."""
    cleaned = "".join(text.split()).replace("-", "").upper().translate(LOOKALIKES)
    if not cleaned or not set(cleaned) <= ALPHABET or len(cleaned) > 16:
        raise UnknownReport(f"{text!r} is not a registration number", hint=HINT)
    return cleaned


def resolve(text: str, report_ids: Iterable[str]) -> str:
    """The one report id that starts with the normalised ``text``."""
    prefix = normalize(text)
    matches = sorted(r for r in report_ids if r.startswith(prefix))
    if not matches:
        raise UnknownReport(
            f"no report {text!r} in the cache", hint="fetch new reports: wbs inbox sync\n" + HINT
        )
    if len(matches) > 1:
        shown = ", ".join(display(r) for r in matches[:5]) + (", ..." if len(matches) > 5 else "")
        raise UnknownReport(
            f"{text!r} matches {len(matches)} reports ({shown})",
            hint="type more characters of the number; " + HINT,
        )
    return matches[0]
