"""Proof of work for tests (docs/spec/pow-v1.md): ask a challenge, solve it in Python the way
the page's worker does, and put the proof on a request."""

from __future__ import annotations

import base64
import itertools
import json
import secrets
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import app as api
from functions.proofs.challenge import work_bits
from tests.support.api import post_event


def solve(challenge: str, difficulty: int) -> str:
    """The Wbs-Proof value: the first counter from 0 whose proof has enough zero bits."""
    for counter in itertools.count():
        proof = f"{challenge}.{counter}"
        if work_bits(proof) >= difficulty:
            return proof
    raise AssertionError("unreachable")


def challenge_event(action: str) -> dict[str, Any]:
    return post_event(json.dumps({"action": action}), path="/api/challenge")


def new_proof(action: str) -> str:
    """A challenge from the configured handlers, solved."""
    response = api.lambda_handler(challenge_event(action), LambdaContext())
    assert response["statusCode"] == 200, response
    answer = json.loads(response["body"])
    return solve(answer["challenge"], answer["difficulty"])


def with_proof(event: dict[str, Any], action: str) -> dict[str, Any]:
    """``event`` with a fresh, solved proof in its wbs-proof header."""
    event["headers"]["wbs-proof"] = new_proof(action)
    return event


class FakeChallenges:
    """POST /api/challenge played by Playwright's request interception, for pages served
    without the API: real-looking challenges (79 random base64url characters) that the
    page's worker must solve; ``check`` tells whether a Wbs-Proof value solves one."""

    def __init__(self, page: Any, difficulty: int = 8) -> None:
        self.difficulty = difficulty
        self.issued: list[str] = []
        self.actions: list[str] = []
        page.route("**/api/challenge", self.answer)

    def answer(self, route: Any) -> None:
        request = route.request
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/json"
        self.actions.append(json.loads(request.post_data)["action"])
        text = base64.urlsafe_b64encode(secrets.token_bytes(59)).decode().rstrip("=")
        self.issued.append(text)
        body = {"challenge": text, "difficulty": self.difficulty, "expires": "2099-01-01T00:00:00Z"}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    def check(self, header: str | None) -> bool:
        if not header:
            return False
        text, _, counter = header.partition(".")
        return text in self.issued and counter.isdigit() and work_bits(header) >= self.difficulty
