"""The statuses of a case (docs/spec/mailbox-v1.md section 4) and the standard reasons for
refusing one (the project's domain brief). Reporters see the Indonesian labels."""

from __future__ import annotations

STATUSES: dict[str, str] = {
    "menunggu-verifikasi": "Menunggu Verifikasi",
    "sedang-diverifikasi": "Sedang Diverifikasi",
    "perlu-informasi-tambahan": "Perlu Informasi Tambahan",
    "dalam-proses": "Dalam Proses",
    "dalam-investigasi": "Dalam Investigasi",
    "diteruskan": "Diteruskan",
    "selesai": "Selesai",
    "ditolak": "Ditolak",
}
INITIAL = "menunggu-verifikasi"  # a case without any status message
REJECTED = "ditolak"  # the one status that needs a reason
# Statuses that tell the reporter what is being done with the report, and on what grounds:
# setting one of them gives the feedback that the feedback deadline asks for.
FEEDBACK = frozenset({"dalam-investigasi", "diteruskan", "selesai", "ditolak"})
REASONS = (
    "di luar kewenangan",
    "kedaluwarsa",
    "duplikat",
    "sudah ditangani APH",
    "tidak ada data pendukung",
)


def _key(text: str) -> str:
    return " ".join(text.replace("-", " ").replace("_", " ").split()).casefold()


_BY_KEY = {_key(name): status for status, label in STATUSES.items() for name in (status, label)}


def resolve(text: str) -> str | None:
    """A status id from its id or its label, in any case; None if it is neither."""
    return _BY_KEY.get(_key(text))


def label(status: str) -> str:
    return STATUSES.get(status, status)


def reason(text: str) -> str:
    """A standard reason in its standard spelling if ``text`` is one; else ``text`` trimmed."""
    typed = " ".join(text.split())
    return next((r for r in REASONS if r.casefold() == typed.casefold()), typed)
