"""Hypothesis strategies and small fakes shared by the property tests: JSON values, hostile
text, well-formed envelopes, and an in-memory store (the parsers are what is tested, not a
disk)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from functions import envelope as fmt
from functions.errors import AlreadyExists, NotFound
from functions.storage import ObjectInfo, check_key
from functions.storage.base import check_prefix
from functions.storage.tags import tagging

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def profile(examples: int | None = None) -> settings:
    """This folder's profile (conftest.py), with fewer or more examples for one property."""
    base = settings.get_profile("wbs-hostile")
    return base if examples is None else settings(base, max_examples=examples)


# Any code point, and often the awkward ones: lone surrogates (what a JSON "\ud800" escape
# puts in a string), NUL, a byte order mark, line separators, quotes, backslashes.
AWKWARD = ["\ud800", "\udc80", "\udfff", "\x00", "\ufeff", "\u2028", '"', "\\", "\x1b", "/"]
any_text = st.text(st.characters(exclude_categories=()) | st.sampled_from(AWKWARD), max_size=40)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=False, allow_infinity=False)
    | any_text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(any_text, inner, max_size=5),
    max_leaves=15,
)
ids = st.text(st.sampled_from(CROCKFORD), min_size=16, max_size=16)
kids = st.text(st.sampled_from("0123456789abcdef"), min_size=16, max_size=16)


def b64(raw: bytes) -> str:
    return fmt.b64encode(raw)


def sized(size: int) -> st.SearchStrategy[bytes]:
    """Bytes of exactly ``size``: a short random seed repeated (drawing kilobytes byte by
    byte is slow, and the parsers look at lengths and encodings, not at the bytes)."""
    return st.binary(min_size=1, max_size=16).map(
        lambda seed: (seed * (size // len(seed) + 1))[:size]
    )


@st.composite
def envelopes(draw: st.DrawFn) -> fmt.Envelope:
    """Structurally valid envelopes (docs/spec/envelope-v1.md section 3): any kind, id and
    recipients, with random bytes where the ciphertext and sealed keys go."""
    count = draw(st.integers(1, fmt.MAX_RECIPIENTS) | st.integers(1, 3))
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from([fmt.X25519, "other-1", "pq.hybrid_2"]), kids),
            min_size=count,
            max_size=count,
            unique=True,
        )
    )
    recipients = tuple(
        fmt.Recipient(
            rtype,
            kid,
            draw(sized(80) if rtype == fmt.X25519 else st.integers(0, 300).flatmap(sized)),
        )
        for rtype, kid in pairs
    )
    bucket = draw(st.sampled_from([1024, 2048]))
    return fmt.Envelope(
        1,
        draw(st.sampled_from(sorted(fmt.KINDS))),
        draw(ids),
        recipients,
        draw(sized(24)),
        draw(sized(bucket + 16)),
    )


def paths_in(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON tree (a path of keys and indexes), the root included."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_in(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths_in(item, (*prefix, index))


@st.composite
def mutated_tree(draw: st.DrawFn, tree: Any) -> Any:
    """``tree`` with one place replaced by any JSON value, removed, or given a new member."""
    tree = json.loads(json.dumps(tree))
    path = draw(st.sampled_from(list(paths_in(tree))))
    if not path:
        return draw(json_values)
    parent = tree
    for step in path[:-1]:
        parent = parent[step]
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "replace":
        parent[path[-1]] = draw(json_values)
    elif action == "remove":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(any_text)] = draw(json_values)
    else:
        parent.append(draw(json_values))
    return tree


class MemoryStorage:
    """The storage interface in a dict: create-only, as the real ones."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_new(self, key: str, data: bytes, *, desks: Collection[str] = frozenset()) -> None:
        if check_key(key) in self.objects:
            raise AlreadyExists(key)
        tagging(desks)  # refused as the real stores refuse it
        self.objects[key] = data

    def get(self, key: str) -> bytes:
        try:
            return self.objects[check_key(key)]
        except KeyError:
            raise NotFound(key) from None

    def stream(self, key: str) -> io.BytesIO:
        return io.BytesIO(self.get(key))

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        check_prefix(prefix)
        moment = datetime(2026, 1, 1, tzinfo=UTC)
        for key in sorted(self.objects):
            if key.startswith(prefix):
                yield ObjectInfo(key, len(self.objects[key]), moment)


def raises_only(
    errors: type[BaseException] | tuple[type[BaseException], ...],
) -> Callable[..., Any]:
    """Call ``f(*args)``; return its result, or None if it raised one of ``errors``."""

    def call(f: Callable[..., Any], *args: Any) -> Any:
        try:
            return f(*args)
        except errors:
            return None

    return call
