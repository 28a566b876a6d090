"""What the tests (and the benches) share, one module a subject:

- ``api``: canned Lambda events, tokens, sealed envelopes, keyrings, hostile variants
- ``inbox``: a private WBS_HOME, an inspector key, stored reports and follow-ups, ``wbs`` runs
- ``pow``: proofs of work solved in tests, and a page's faked challenges
- ``workbench``: the workbench in process, its WSGI client, and a real one in Chromium
- ``faults``: storage and S3 transports that fail on cue
- ``load``: many clients posting at once, and the checks of what was stored
- ``vectors``: the envelope test vectors of docs/vectors/
- ``site``: the one place that builds the reporting site (build.py)
- ``host``: the local host in a thread, `wbs serve` in a process, free ports
- ``chromium``: Debian's chromium through Playwright, fresh pages, a served site in a page
- ``system``: the ``system`` fixture, a whole system as a newcomer runs it
"""
