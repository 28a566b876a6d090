"""The ``wbs-desks`` object tag: which desks' members may fetch an object of a case (docs/aws.md,
"Inspectors' access, per desk").

Its value lists the desks between slashes, each once, sorted: ``/inspektorat/kab-bandung/``.
A desk's IAM policy fetches a case's object only where the tag matches ``*/<desk>/*``; desk ids
(``functions.keyring.DESK_ID_RE``) hold no slash and no wildcard character, so no desk matches
another's. The function, the inspector's tool and the admin's ``wbs.deploy.share`` all spell the
tag here. A tag is given when its object is created (``Storage.put_new(..., desks=...)``, an
evidence file's multipart upload); the local folder keeps none.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from functions.errors import StorageError
from functions.keyring import DESK_ID_RE

TAG = "wbs-desks"
MAX_TAG_VALUE = 256  # S3: a tag value is at most 256 (UTF-16) characters


class TagError(StorageError, ValueError):
    """A set of desks that no ``wbs-desks`` tag can name: empty, a malformed id, or too long."""


def tag_value(desks: Iterable[str]) -> str:
    """The ``wbs-desks`` tag's value for an object that ``desks`` may read: ``/a/b/``."""
    ids = sorted(set(desks))
    if not ids or not all(isinstance(d, str) and DESK_ID_RE.fullmatch(d) for d in ids):
        raise TagError("a wbs-desks tag names one or more desk ids")
    value = "/" + "/".join(ids) + "/"
    if len(value) > MAX_TAG_VALUE:
        raise TagError(f"the wbs-desks tag of {len(ids)} desks is over {MAX_TAG_VALUE} characters")
    return value


def tag_desks(value: str) -> tuple[str, ...]:
    """The desks a ``wbs-desks`` value names; () for a value not of that form."""
    ids = tuple(value[1:-1].split("/")) if value.startswith("/") and value.endswith("/") else ()
    return ids if ids and all(DESK_ID_RE.fullmatch(d) for d in ids) else ()


def tagging(desks: Iterable[str]) -> str | None:
    """S3's ``Tagging`` parameter (``x-amz-tagging``, URL-encoded) for an object ``desks`` may
    read; None for no desks (an object no desk's policy fetches: a proof's marker)."""
    ids = frozenset(desks)
    return urlencode({TAG: tag_value(ids)}) if ids else None
