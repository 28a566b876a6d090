"""A reporter on a cheap phone and a slow network (issue 15): how long until the page paints,
the form can be used, the crypto is ready, and a sent report shows its receipt code, on every
host, slowed and not; then Lighthouse's mobile performance score of the pages.

    .venv/bin/python bench/bench_slow_phone.py [--runs 3] [--hosts serve,nginx,caddy]
                                               [--no-lighthouse]

Hosts: `wbs serve` (local storage, a throwaway key), and the self-hosted service as systemd
starts it behind the real nginx and the real caddy with the shipped configs
(infra/selfhost/nginx.conf, Caddyfile; tests/support/proxies.py maps their paths and ports
into a temporary folder, with a self-signed certificate). Each run is a fresh browser context
(an empty cache) in Debian's chromium at 360x640: "slow" adds the CDP's CPU throttling (4x,
Emulation.setCPUThrottlingRate) and network emulation (400 kbps both ways, 400 ms round
trips, Network.emulateNetworkConditions), "fast" is the same without. Times are from the
navigation's start, in the page's own clock:

- first paint: the paint timing entry "first-paint";
- form usable: the send button enabled (app.mjs enables it once it can handle a press);
- crypto ready: libsodium loaded in the page and in both Web Workers (proof of work and
  receipt code), each asked in its own context when its `sodium.ready` resolves (the workers
  start only once the page's own libsodium is ready);
- send -> receipt: from the press of "send" (the form filled in while the crypto loaded) to
  the receipt code on screen: the proof of work (the config's difficulty, random by nature),
  the receipt code's Argon2id, sealing and the POST.

Chromium does not slow Web Workers with CPU throttling: the time the workers spend answering
during a send is measured (from each postMessage to its answer), and the slow row also shows
send -> receipt with that time multiplied by 4 like the page's; then the workers' time scaled
to a low-tier phone by BenchmarkIndex, as bench_receipt.py does. Target: send -> receipt at
most 4 s slowed, on every host.

Lighthouse (npm, the version pinned in bench/package.json; `npm ci --prefix bench` is run
when bench/node_modules is missing or older than the lock) measures `/` and `/status/` on
`wbs serve`, as many runs as above (median, min-max): mobile form factor, performance
category only, with Debian's chromium. Target 95. Its simulated throttling multiplies the
main thread's observed long tasks by 4, so a busy machine lowers the total blocking time's
score.

The proxies' self-signed certificate is trusted through its key's hash
(--ignore-certificate-errors-spki-list): Chromium keeps nothing in its HTTP cache from a site
whose certificate error was merely ignored, and every worker would download libsodium again.

Other processes share the CPU: the numbers are for comparing hosts and changes on one
machine, not absolute phone timings.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_receipt import BENCHMARK_INDEX, PHONES
from nacl.public import PrivateKey

from tests.support import proxies, selfhost
from tests.support.api import write_keyring
from tests.support.chromium import CHROMIUM, chromium
from tests.support.host import wbs_serve

BENCH = Path(__file__).resolve().parent
VIEWPORT = {"width": 360, "height": 640}
CPU_SLOWDOWN = 4
SLOW_NETWORK = {
    "offline": False,
    "latency": 400,  # ms added to each request's round trip
    "downloadThroughput": 400_000 / 8,  # bytes per second
    "uploadThroughput": 400_000 / 8,
}
TARGET_S = 4.0
LIGHTHOUSE_TARGET = 95
METRICS = ("first paint", "form usable", "crypto ready", "send -> receipt")

# Before any script of the page: time each worker's answer, from the page's postMessage to
# the message that ends the job (`ok`: pow-worker's and receipt-worker's final answers).
WORKER_TIMER = """
(() => {
  const Base = window.Worker;
  const busy = [];
  window.__benchWorkerBusy = busy;
  window.Worker = class extends Base {
    constructor(...args) {
      super(...args);
      const url = String(args[0]);
      this.addEventListener('message', ({ data }) => {
        if (data && 'ok' in data && this.__sent !== undefined) {
          busy.push({ url, start: this.__sent, ms: performance.now() - this.__sent });
          this.__sent = undefined;
        }
      });
    }
    postMessage(...args) {
      this.__sent = performance.now();
      return super.postMessage(...args);
    }
  };
})();
"""
FORM_USABLE = """() => {
  const button = document.querySelector('#report button[type=submit]');
  return button !== null && !button.disabled && performance.now();
}"""
FIRST_PAINT = """() => {
  const [paint] = performance.getEntriesByName('first-paint');
  const [contentful] = performance.getEntriesByName('first-contentful-paint');
  return (paint ?? contentful).startTime;
}"""
# In a worker: when its libsodium is ready, on the epoch clock (the page's differs).
WORKER_READY = """async () => {
  const url = new URL('/assets/js/vendor/libsodium-wrappers.mjs', self.location.href).href;
  const { default: sodium } = await import(url);
  await sodium.ready;
  return performance.timeOrigin + performance.now();
}"""
PRESS_SEND = """() => {
  const at = performance.now();
  document.querySelector('#report button[type=submit]').click();
  return at;
}"""
RECEIPT_SHOWN = """() => {
  const panel = document.getElementById('success');
  const code = document.getElementById('receipt-code');
  return panel !== null && !panel.hidden && code.textContent.trim() !== '' && performance.now();
}"""
WARM_WORKERS = ("/pow-worker.mjs", "/receipt-worker.mjs")
# The proxies' self-signed certificate trusted as a CA-signed one (see above).
TRUST = [f"--ignore-certificate-errors-spki-list={proxies.spki_sha256()}"]


# --- the hosts -----------------------------------------------------------------------------------


@contextlib.contextmanager
def host(name: str, tmp: Path) -> Iterator[str]:
    """The origin of a running host: `wbs serve`, or the self-hosted service behind nginx or
    caddy. Each has its own storage and a throwaway inspector key; the proof of work is the
    config's."""
    keyring = write_keyring(
        tmp / "keys" / "keyring.json", [bytes(PrivateKey.generate().public_key)]
    )
    if name == "serve":
        env = {
            **os.environ,
            "WBS_HOME": str(tmp / "home"),
            "WBS_STORAGE": f"local:{tmp / 'storage'}",
        }
        env.pop("WBS_POW_DIFFICULTY", None)
        env.pop("WBS_CONFIG", None)
        args = ["--keyring", str(keyring), "--site-out", str(tmp / "site")]
        with wbs_serve(args, env, tmp / "serve.log") as origin:
            yield origin
        return
    running = selfhost.start(tmp, {"WBS_KEYRING": str(keyring)}, selfhost.env_file())
    try:
        proxy = proxies.nginx if name == "nginx" else proxies.caddy
        with proxy(tmp / name, running.port) as front:
            yield front.origin
    finally:
        selfhost.stop(running.process)


# --- one visit -----------------------------------------------------------------------------------


def fill_report(page: Any) -> None:
    page.select_option("#category", "pemerasan")
    page.fill("#what", "Bendahara meminta setoran dari honor petugas.")
    page.fill("#where", "Sekretariat KPU Kota Contoh")
    page.fill("#people [name=who-position]", "Bendahara")
    for box in ("truthful", "not_involved", "aware_of_sanctions", "confidential"):
        page.check(f"input[name={box}]")


def crypto_ready(page: Any) -> float:
    """When libsodium was ready in both warm workers, in ms of the page's clock."""
    ready: dict[str, float] = {}
    for _ in range(3000):
        for worker in page.workers:
            if worker.url.endswith(WARM_WORKERS) and worker.url not in ready:
                ready[worker.url] = worker.evaluate(WORKER_READY)
        if len(ready) == len(WARM_WORKERS):
            break
        page.wait_for_timeout(20)
    else:
        raise RuntimeError(f"the workers did not start: {sorted(ready)}")
    return float(max(ready.values()) - page.evaluate("performance.timeOrigin"))


def visit(browser: Any, origin: str, slow: bool) -> dict[str, float]:
    """One reporter, from an empty cache: the four times (ms) and the workers' time in send."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(WORKER_TIMER)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        if slow:
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", SLOW_NETWORK)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        page.goto(origin + "/", wait_until="commit", timeout=120_000)
        usable = page.wait_for_function(FORM_USABLE, timeout=120_000).json_value()
        ready = crypto_ready(page)
        fill_report(page)
        pressed = page.evaluate(PRESS_SEND)
        shown = page.wait_for_function(RECEIPT_SHOWN, timeout=300_000).json_value()
        busy = page.evaluate("() => window.__benchWorkerBusy")
        if errors:
            raise RuntimeError(f"the page failed: {errors}")
        return {
            "first paint": page.evaluate(FIRST_PAINT),
            "form usable": usable,
            "crypto ready": ready,
            "send -> receipt": shown - pressed,
            "workers": sum(b["ms"] for b in busy if b["start"] >= pressed),
            "proof of work": sum(
                b["ms"] for b in busy if b["start"] >= pressed and "pow-worker" in b["url"]
            ),
        }
    finally:
        context.close()


def benchmark_index(browser: Any) -> float:
    page = browser.new_page()
    try:
        return float(page.evaluate(f"() => {{ {BENCHMARK_INDEX} return benchmarkIndex(); }}"))
    finally:
        page.close()


# --- Lighthouse ----------------------------------------------------------------------------------


def lighthouse_cli() -> Path:
    """bench/node_modules' Lighthouse, installed from bench/package-lock.json when missing."""
    cli = BENCH / "node_modules" / "lighthouse" / "cli" / "index.js"
    lock = BENCH / "package-lock.json"
    installed = BENCH / "node_modules" / ".package-lock.json"
    if not installed.exists() or lock.stat().st_mtime > installed.stat().st_mtime:
        print("installing Lighthouse: npm ci --prefix bench", file=sys.stderr)
        npm_ci = ["npm", "ci", "--prefix", str(BENCH), "--no-audit", "--no-fund"]
        subprocess.run([*npm_ci, "--ignore-scripts"], check=True)  # noqa: S603 - as ./dev does
    return cli


def lighthouse(url: str, out: Path) -> dict[str, Any]:
    """Lighthouse's report (JSON) of ``url``: mobile, performance only, Debian's chromium."""
    command = [
        "node",
        str(lighthouse_cli()),
        url,
        "--form-factor=mobile",
        "--only-categories=performance",
        "--output=json",
        f"--output-path={out}",
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]
    subprocess.run(  # noqa: S603 - node by name, on the pinned Lighthouse
        command, env={**os.environ, "CHROME_PATH": CHROMIUM}, check=True
    )
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def lighthouse_lines(origin: str, tmp: Path, runs: int) -> list[str]:
    """Each page's score over ``runs`` runs (median, min-max) with the median run's main
    metrics, and that run's weighted audits under 0.9 when the median misses the target."""
    lines = []
    version = ""
    for path in ("/", "/status/"):
        reports = []
        for run in range(runs):
            out = tmp / f"lighthouse{path.replace('/', '-')}{run}.json"
            reports.append(lighthouse(origin + path, out))
        reports.sort(key=lambda r: r["categories"]["performance"]["score"])
        scores = [round(r["categories"]["performance"]["score"] * 100) for r in reports]
        middle = reports[len(reports) // 2]
        score = scores[len(scores) // 2]
        version = middle["lighthouseVersion"]
        mark = "ok" if score >= LIGHTHOUSE_TARGET else "BELOW TARGET"
        audits = middle["audits"]
        shown = ", ".join(
            f"{name} {audits[audit]['displayValue']}"
            for name, audit in (
                ("FCP", "first-contentful-paint"),
                ("LCP", "largest-contentful-paint"),
                ("TBT", "total-blocking-time"),
                ("CLS", "cumulative-layout-shift"),
            )
        )
        lines.append(
            f"  {path:9} {score:3d} ({min(scores)}-{max(scores)})  target >= {LIGHTHOUSE_TARGET}:"
            f" {mark}  median run: {shown}"
        )
        weak = [
            f"{ref['id']} {audits[ref['id']]['score']}"
            for ref in middle["categories"]["performance"]["auditRefs"]
            if ref["weight"] and (audits[ref["id"]]["score"] or 0) < 0.9
        ]
        if score < LIGHTHOUSE_TARGET and weak:
            lines.append(f"            weakest audits: {', '.join(weak)}")
    lines.insert(0, f"Lighthouse {version}, mobile, performance, on `wbs serve`, {runs} runs:")
    return lines


# --- the table -----------------------------------------------------------------------------------


def cell(values: list[float]) -> str:
    """Median and spread, in seconds."""
    s = [v / 1000 for v in values]
    return f"{statistics.median(s):5.1f} ({min(s):.1f}-{max(s):.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hosts", default="serve,nginx,caddy")
    parser.add_argument("--no-lighthouse", action="store_true")
    options = parser.parse_args()
    hosts = options.hosts.split(",")
    if {"nginx", "caddy"} & set(hosts) and proxies.missing():
        raise SystemExit(f"{', '.join(proxies.missing())} not installed: {proxies.INSTALL}")
    results: dict[tuple[str, bool], list[dict[str, float]]] = {}
    extra: list[str] = []
    with tempfile.TemporaryDirectory(prefix="wbs-slow-") as tmp, chromium(TRUST) as browser:
        index = benchmark_index(browser)
        for name in hosts:
            with host(name, Path(tmp) / name) as origin:
                for slow in (False, True):
                    runs = [visit(browser, origin, slow) for _ in range(options.runs)]
                    results[name, slow] = runs
                    print(f"{name} {'slow' if slow else 'fast'}: done", file=sys.stderr)
                if name == "serve" and not options.no_lighthouse:
                    extra = lighthouse_lines(origin, Path(tmp), options.runs)
    print(
        f"Chromium at 360x640; slow = CPU {CPU_SLOWDOWN}x and 400 kbps / 400 ms round trips; "
        f"{options.runs} runs each, median (min-max), seconds; shared CPU: other work ran beside"
    )
    header = f"{'host':7} {'':4} " + " ".join(f"{m:>15}" for m in METRICS)
    print(header + f" {'workers x4':>15}")
    for (name, slow), runs in results.items():
        row = [cell([r[m] for r in runs]) for m in METRICS]
        estimate = ""
        if slow:
            total = [r["send -> receipt"] + (CPU_SLOWDOWN - 1) * r["workers"] for r in runs]
            estimate = cell(total)
        print(
            f"{name:7} {'slow' if slow else 'fast':4} " + " ".join(f"{c:>15}" for c in row), end=""
        )
        print(f" {estimate:>15}")
    print(f"target: send -> receipt at most {TARGET_S:.0f} s slowed, on every host")
    for name in hosts:
        runs = results[name, True]
        measured = statistics.median(r["send -> receipt"] for r in runs) / 1000
        workers = statistics.median(r["workers"] for r in runs) / 1000
        scaled = measured + (CPU_SLOWDOWN - 1) * workers
        verdict = "ok" if scaled <= TARGET_S else "OVER"
        proof = statistics.median(r["proof of work"] for r in runs) / 1000
        print(
            f"  {name:7} {measured:4.1f} s measured, {scaled:4.1f} s with the workers x4: {verdict}"
            f"  (workers {workers:.1f} s of it unslowed, the proof of work {proof:.1f} s)"
        )
    print(f"this machine's BenchmarkIndex {index:.0f}; the workers' send time on a phone:")
    workers = statistics.median(r["workers"] for runs in results.values() for r in runs) / 1000
    for phone, score in PHONES.items():
        print(f"  {phone:36s} {workers * index / score:5.1f} s (here {workers:.1f} s)")
    for line in extra:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
