"""Time to solve a proof-of-work challenge (docs/spec/pow-v1.md) in Chromium, per difficulty,
and what it means on a cheap phone.

    .venv/bin/python bench/bench_pow.py [--runs 15] [--difficulties 12,14,16,18,20]

The page's own pow-client.mjs starts pow-worker.mjs (libsodium.js's crypto_hash_sha256 on
WebAssembly) for fresh random challenges of each difficulty, in Debian's chromium, as the
report form does. The solve time of one challenge is random (geometric: each try succeeds
with probability 2^-difficulty), so the script prints the median of the runs and also what
the measured hash rate predicts: the mean, 2^difficulty / rate, and the 95th percentile,
ln(20) = 3.0 times the mean. It also times libsodium.js against WebCrypto's digest on the
same inputs, which is why the worker uses libsodium.

The phone estimate scales by this machine's BenchmarkIndex over a phone's, as
bench_receipt.py does (its docstring says where the numbers come from).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_receipt import BENCHMARK_INDEX, PHONES

from tests.support.chromium import site_page

IN_PAGE = """async ({ runs, difficulties }) => {
  const { default: sodium } = await import('/assets/js/vendor/libsodium-wrappers.mjs');
  await sodium.ready;
  const { solveInWorker } = await import('/assets/js/pow-client.mjs');
  const challenge = () => sodium.to_base64(
    sodium.randombytes_buf(59), sodium.base64_variants.URLSAFE_NO_PADDING,
  );
  await solveInWorker(challenge(), 8); // load the worker's modules once
  const times = {};
  for (const d of difficulties) {
    times[d] = [];
    for (let i = 0; i < runs; i += 1) {
      const start = performance.now();
      await solveInWorker(challenge(), d);
      times[d].push(performance.now() - start);
    }
  }
  // Hash rates on proof-sized inputs: libsodium.js (what the worker uses) and WebCrypto.
  const input = new TextEncoder().encode(challenge() + '.1234567');
  const n = 200000;
  let start = performance.now();
  for (let i = 0; i < n; i += 1) sodium.crypto_hash_sha256(input);
  const sodiumRate = n / ((performance.now() - start) / 1000);
  start = performance.now();
  for (let i = 0; i < n; i += 1024) {
    await Promise.all(Array.from({ length: 1024 }, () => crypto.subtle.digest('SHA-256', input)));
  }
  const webcryptoRate = n / ((performance.now() - start) / 1000);
  return { times, sodiumRate, webcryptoRate, index: benchmarkIndex() };
"""
IN_PAGE += BENCHMARK_INDEX + "}"


def in_chromium(runs: int, difficulties: list[int]) -> dict[str, object]:
    with site_page() as page:
        result: dict[str, object] = page.evaluate(
            IN_PAGE, {"runs": runs, "difficulties": difficulties}
        )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--difficulties", default="12,14,16,18,20")
    args = parser.parse_args()
    difficulties = [int(d) for d in args.difficulties.split(",")]
    result = in_chromium(args.runs, difficulties)
    times: dict[str, list[float]] = result["times"]  # type: ignore[assignment]
    rate = float(result["sodiumRate"])  # type: ignore[arg-type]
    index = float(result["index"])  # type: ignore[arg-type]
    print(f"hash rate, libsodium.js crypto_hash_sha256  {rate / 1e3:8.0f} k/s")
    print(f"hash rate, WebCrypto digest (1024 at once)   {result['webcryptoRate'] / 1e3:8.0f} k/s")  # type: ignore[operator]
    print(f"this machine's BenchmarkIndex              {index:8.0f}")
    print(f"{args.runs} solves per difficulty, in the worker, times in ms on this machine:")
    header = f"{'bits':>4} {'median':>8} {'mean*':>8} {'p95*':>8}"
    for name in PHONES:
        header += f"  {name.split(' (')[0] + ' mean/p95 s':>26}"
    print(header)
    for d in difficulties:
        median = statistics.median(times[str(d)])
        mean = 2**d / rate * 1000
        line = f"{d:>4} {median:8.0f} {mean:8.0f} {mean * math.log(20):8.0f}"
        for score in PHONES.values():
            phone = mean * index / score / 1000
            line += f"  {phone:15.1f} / {phone * math.log(20):5.1f}"
        print(line)
    print("* predicted from the hash rate: mean 2^bits / rate, p95 ln(20) x mean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
