"""The inspectors' local web workbench (`wbs workbench`): the inbox and cases in a browser,
served on a loopback address of its own only (127.a.b.c), behind a one-time token
(docs/workbench.md)."""

# The pages' languages, as the reporting site's; the first is the default.
LANGUAGES = ("id", "en")
