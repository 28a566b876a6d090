"""axe-core (site/node_modules, a devDependency pinned in site/package.json) run inside a page
by Playwright: its source is evaluated through the DevTools protocol, which the page's
Content-Security-Policy does not govern, so the pages are checked as they are served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "site" / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2 at levels A and AA (2.2 added no level-A rule axe checks), and
# axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: { type: 'tag', values: tags },
    resultTypes: ['violations'],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
  }));
}"""

_source: str | None = None


def source() -> str:
    global _source
    if _source is None:
        if not AXE.is_file():
            raise RuntimeError(f"{AXE} is missing: run ./dev test, which runs npm ci in site/")
        _source = AXE.read_text(encoding="utf-8")
    return _source


def violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations of the page as it is now (every frame's main document only)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(source())
    found: list[dict[str, Any]] = page.evaluate(RUN, TAGS)
    return found


def report(found: list[dict[str, Any]]) -> str:
    """Each violation's id and help, then each element's target and axe's summary."""
    lines = []
    for item in found:
        lines.append(f"{item['id']} ({item['impact']}): {item['help']}")
        for node in item["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"  {node['target']}: {summary}")
    return "\n".join(lines)


def assert_no_violations(page: Any, state: str) -> None:
    found = violations(page)
    assert not found, f"axe, {state} ({page.url}):\n{report(found)}"
