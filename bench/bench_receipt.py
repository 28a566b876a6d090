"""Time of the receipt-code derivation (docs/spec/mailbox-v1.md §2) in Chromium and in PyNaCl,
side by side, and what it means on a cheap phone.

    .venv/bin/python bench/bench_receipt.py [--runs 5]

Both sides run the same Argon2id (opslimit 3, memlimit 64 MiB) and BLAKE2b steps: the page's
own receipt.mjs on libsodium.js's WebAssembly in Debian's chromium, and wbs/receipt.py on
PyNaCl's native libsodium. The median of several runs counts.

The phone estimate scales the Chromium time by this machine's BenchmarkIndex over a phone's.
BenchmarkIndex is Lighthouse's device-class measure (GoogleChrome/lighthouse,
core/lib/page-functions.js, computeBenchmarkIndex: a string-building and an array-copying
loop, each run for 500 ms, iterations / 10 per second, averaged); the loop below follows that
recipe. Reference scores from Chrome DevTools' CPU-throttling calibration
(front_end/panels/mobile_throttling/CalibrationController.ts): 264 for a low-tier phone
(Moto G4 Power 2022) and 1000 for a mid-tier one (Pixel 5); Lighthouse's notes put budget
Android phones below 125. BenchmarkIndex measures JavaScript, not WebAssembly or memory
bandwidth, so the estimate is a rough guide, not a measurement.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.chromium import site_page
from wbs import receipt

PHONES = {"low-tier phone (Moto G4 Power 2022)": 264, "budget phone (index 125)": 125}

# Lighthouse's BenchmarkIndex, as JavaScript functions for a page (bench_pow.py uses it too).
BENCHMARK_INDEX = """
  function stringLoop() {
    const start = Date.now();
    let n = 0;
    while (Date.now() - start < 500) {
      let s = '';
      for (let j = 0; j < 10000; j += 1) s += 'a';
      if (s.length === 1) throw new Error('unreachable: keeps the loop from being optimised away');
      n += 1;
    }
    return n / 10 / ((Date.now() - start) / 1000);
  }
  function arrayLoop() {
    const a = [];
    const b = [];
    for (let i = 0; i < 100000; i += 1) { a[i] = i; b[i] = i; }
    const start = Date.now();
    let n = 0;
    while (n % 10 !== 0 || Date.now() - start < 500) {
      const [from, to] = n % 2 === 0 ? [a, b] : [b, a];
      for (let j = 0; j < from.length; j += 1) to[j] = from[j];
      n += 1;
    }
    return n / 10 / ((Date.now() - start) / 1000);
  }
  function benchmarkIndex() {
    return (stringLoop() + arrayLoop()) / 2;
  }
"""

IN_PAGE = """async (runs) => {
  const { default: sodium } = await import('/assets/js/vendor/libsodium-wrappers.mjs');
  await sodium.ready;
  const r = await import('/assets/js/receipt.mjs');
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const code = r.newCode(sodium);
    const start = performance.now();
    r.derive(sodium, code);
    times.push(performance.now() - start);
  }
  return { times, index: benchmarkIndex() };
"""
IN_PAGE += BENCHMARK_INDEX + "}"


def in_chromium(runs: int) -> tuple[list[float], float]:
    with site_page() as page:
        result = page.evaluate(IN_PAGE, runs + 1)  # the first run warms up
    return result["times"][1:], float(result["index"])


def pynacl(runs: int) -> list[float]:
    times = []
    for _ in range(runs + 1):
        code = receipt.new_code()
        start = time.perf_counter()
        receipt.derive(code)
        times.append((time.perf_counter() - start) * 1000)
    return times[1:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    browser_ms, index = in_chromium(runs)
    native_ms = pynacl(runs)
    b, n = statistics.median(browser_ms), statistics.median(native_ms)
    print(
        f"Argon2id opslimit {receipt.OPSLIMIT}, memlimit {receipt.MEMLIMIT >> 20} MiB, {runs} runs"
    )
    print(f"Chromium (libsodium.js, WebAssembly)  {b:8.0f} ms  median")
    print(f"PyNaCl (native libsodium)            {n:8.0f} ms  median")
    print(f"ratio Chromium/PyNaCl                {b / n:8.2f}")
    print(f"this machine's BenchmarkIndex        {index:8.0f}")
    for name, score in PHONES.items():
        print(f"estimate, {name:36s} {b * index / score / 1000:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
