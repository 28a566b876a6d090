"""The hostile corpus: named requests against every endpoint, each with the refusal it must
get. ``test_corpus.py`` sends every one through the Lambda handler and through the local
host over HTTP, and checks that it is a 4xx with a JSON reason (the site's own pages answer
in HTML), never a 5xx, and that the store is byte for byte what it was.

Cases are data: a name, a request (or a function of the ``World`` for requests that need a
granted URL or upload id), and the answer expected. Where the two ways in differ, because
the host decodes ``%2f`` in a path or only the host takes parts, a case names the host's or
the Lambda's answer apart. The bad envelopes, tokens, grant requests and completions that
tests/test_api.py and tests/test_uploads.py already send are imported and run here again,
deeper (with a token that opens a real case) and through the host as well; the rest is new.
"""

from tests.hostile.corpus.api import health_cases, mailbox_cases, report_cases
from tests.hostile.corpus.base import AUTO, MAILBOX, ROUTES, Case, Expect, Request
from tests.hostile.corpus.common import method_cases
from tests.hostile.corpus.parts import part_cases
from tests.hostile.corpus.proofs import challenge_cases
from tests.hostile.corpus.site import site_cases
from tests.hostile.corpus.uploads import complete_cases, grant_cases, renew_cases

__all__ = ["AUTO", "CASES", "CHALLENGE_CASES", "MAILBOX", "ROUTES", "Case", "Expect", "Request"]

CASES: list[Case] = [
    *method_cases(),
    *health_cases(),
    *report_cases(),
    *mailbox_cases(),
    *grant_cases(),
    *renew_cases(),
    *complete_cases(),
    *part_cases(),
    *site_cases(),
]
# Proof of work (issue 6): forged, expired, replayed and wrong-action challenges, and the
# challenge route itself. The runner sends them with the proof-of-work gate on.
CHALLENGE_CASES: list[Case] = challenge_cases()
