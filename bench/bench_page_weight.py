"""Weight of the reporting pages with many desks and offices (docs/spec/desks-v2.md section 5),
the build's time, and how fast the office search answers on a slow phone.

    .venv/bin/python bench/bench_page_weight.py [--offices 550] [--throttle 6]

Three sites are built: the project's config (one desk), the KPU example (the KPU and its 38
provinces, five desks) and the large office config of tests/support/desks.py (one central desk,
one desk per office, an escalation desk). For each page: its size, raw and gzip -9 (what a
slow connection carries), and what its data takes: the #wbs-keys block (every desk's public
key, 32 random bytes that no compression shrinks, and name), the #wbs-routing block and the
list of offices. Then, in Debian's chromium with its CPU slowed down --throttle times (Chrome
DevTools' "low-end mobile" is 6), the time from a typed search to the shortened list, less
the module's 150 ms wait for the end of a word.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.chromium import chromium
from tests.support.desks import add_desks, office_config
from tests.support.host import static_site
from tests.support.site import ROOT, build_site
from wbs import build

KPU = ROOT / "site" / "examples" / "kpu.toml"
KPU_DESKS = ("inspektorat", "wilayah-1", "wilayah-2", "wilayah-3", "pimpinan")
PARTS = {
    "#wbs-keys": r'<script type="application/json" id="wbs-keys">.*?</script>',
    "#wbs-routing": r'<script type="application/json" id="wbs-routing">.*?</script>',
    "offices": r'<div id="office-list".*?</div>',
}
SEARCH = """async (text) => {
  const input = document.getElementById('office-filter');
  const start = performance.now();
  input.value = text;
  input.dispatchEvent(new Event('input'));
  while (input.dataset.applied !== text) await new Promise((r) => setTimeout(r, 1));
  return performance.now() - start - 150;
}"""


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 9))


def sizes(data: bytes) -> str:
    return f"{len(data) / 1024:7.1f} KB raw {gz(data) / 1024:6.1f} KB gzip"


def site(tmp: Path, name: str, config: Path, desks: list[str]) -> tuple[Path, float]:
    keys = add_desks(tmp / name / "keyring.json", desks)
    start = time.perf_counter()
    out = build_site(keys.keyring, tmp / name / "site", config)
    return out, time.perf_counter() - start


def report(name: str, out: Path, took: float) -> None:
    print(f"\n{name}: built in {took:.2f} s")
    for page in ("index.html", "status/index.html"):
        data = (out / page).read_bytes()
        print(f"  {page:18} {sizes(data)}")
        text = data.decode()
        for part, pattern in PARTS.items():
            found = re.search(pattern, text, re.S)
            if found:
                print(f"    {part:16} {sizes(found[0].encode())}")


def search_times(out: Path, throttle: float, runs: int = 5) -> list[float]:
    with static_site(out) as origin, chromium() as browser:
        page = browser.new_page()
        page.goto(origin + "/")
        page.wait_for_selector("#report button[type=submit]:not([disabled])")
        cdp = page.context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        times = []
        for n in range(runs):
            times.append(page.evaluate(SEARCH, "kab" if n % 2 == 0 else "zzz"))
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offices", type=int, default=550)
    parser.add_argument("--throttle", type=float, default=6.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wbs-weight-") as folder:
        tmp = Path(folder)
        one, took = site(tmp, "one", build.DEFAULT_CONFIG, ["inspektorat"])
        report("one desk (site/config.toml)", one, took)
        kpu, took = site(tmp, "kpu", KPU, list(KPU_DESKS))
        report("KPU example (39 offices, 5 desks)", kpu, took)
        desks = office_config(tmp / "offices.toml", args.offices, escalation=True)
        many, took = site(tmp, "many", tmp / "offices.toml", desks)
        report(f"{args.offices} offices, {len(desks)} desks", many, took)
        times = search_times(many, args.throttle)
        print(
            f"\nsearch over {args.offices} offices, CPU slowed {args.throttle:g}x: "
            f"median {statistics.median(times):.0f} ms, worst {max(times):.0f} ms"
        )


if __name__ == "__main__":
    main()
