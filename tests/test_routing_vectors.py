"""The routing vectors (docs/vectors/routing/) through the API's rules, functions/routing.py;
tests/test_vectors_browser.py runs the same files through the page's routing.mjs."""

from __future__ import annotations

import pytest

from functions import routing
from tests.support.vectors import RoutingVector, load_routing_vectors

VECTORS = load_routing_vectors()


def test_there_are_vectors_for_every_rule() -> None:
    comments = " ".join(v.comment for v in VECTORS)
    for rule in ("escalation", "central_receives none", "receives all", "central desk handles"):
        assert rule in comments, rule
    assert len(VECTORS) >= 10


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_every_routing_vector_in_python(vector: RoutingVector) -> None:
    # Given a routing document the API accepts
    rules = routing.parse(vector.document)
    assert rules.to_json() == vector.document
    # When a report with these answers is routed
    answers = vector.answers
    desks = rules.route(answers["office"], answers["concerns_staff"], answers["category"])
    # Then it goes to the desks the vector expects, and to no other
    assert sorted(desks) == vector.expect, vector.comment
