"""The page's upload pipeline in Chromium: its throughput beside raw libsodium.js, and its memory
while a 1 GiB file goes through.

    .venv/bin/python bench/bench_upload_browser.py [--mib 256] [--runs 5]

One Debian chromium (Playwright) on the site built and served by the real local host, as
bench/bench_receipt.py does. The network is replaced by a sink that only counts bytes: a
harness worker, written into the built site for this run only (assets/js/bench-upload-
worker.mjs), installs a `fetch` that answers the grant and the completion as the API would
and an `XMLHttpRequest` whose `send` counts the part's bytes and answers 200 with an ETag,
and then imports the page's upload-worker.mjs unchanged. So what runs is the page's own
pipeline: reading the File, attachment.mjs encryption, the part buffer, each part handed to
the uploader; not the network, nor the copy a real PUT makes into the network stack.

Throughput: a File of --mib MiB of random bytes (crypto.getRandomValues, 64 KiB a call) goes
through the pipeline; then, in the same worker, raw libsodium.js
crypto_secretstream_xchacha20poly1305_push seals the same bytes (read into memory once,
before any round) in the same 1 MiB chunks, the padded tail last, with the same associated
data and tags. For scale, the pipeline's own encryption alone over those chunks, and the
File read alone as the worker reads it. One warm-up round, then --runs rounds; each round
times every side one after the other, so the ratio is taken within a round (pipeline time
against raw time) and its median reported, with the range. Target pipeline/raw >= 0.8.

Memory: a 1 GiB File, then a 256 MiB one, goes through the same pipeline while the JS heap
of the page and of the worker (CDP Runtime.getHeapUsage; the worker is reached through the
page's CDP session, auto-attached) and the VmRSS of every chromium process under this one
(/proc) are sampled. Peak minus baseline counts: target under 100 MiB, about the same for
both sizes. The input is kept out of the figures: each File is one random 1 MiB Blob
repeated (`new File(Array(n).fill(blob))`); a Blob made of Blobs only references them in
the browser's blob store, so the File costs about 1 MiB, none of it in any JS heap, and it
is built, the worker loaded and garbage collected, before the baseline is taken.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.chromium import site_page

MIB = 1024 * 1024
MEMORY_FILES_MIB = (1024, 256)
SAMPLE_MS = 50

HARNESS = "assets/js/bench-upload-worker.mjs"
HARNESS_JS = """\
// bench/bench_upload_browser.py's harness: upload-worker.mjs with a counting sink for a network.
import sodium from './vendor/libsodium-wrappers.mjs';
import { CHUNK, associatedData, encryptor } from './attachment.mjs';

const REPORT_ID = '0123456789ABCDEF';
const FILE_ID = 'GHJKMNPQRSTVWXYZ';

const PART = 8 * 1024 * 1024;
let received = 0;

const answer = (json) => ({ ok: true, status: 200, json: async () => json });
self.fetch = async (url, { body }) => {
  if (url.endsWith('/complete')) {
    self.postMessage({ type: 'sink', received });
    return answer({});
  }
  const { id, size } = JSON.parse(body).files[0];
  received = 0;
  const parts = [];
  for (let at = 0; at < size; at += PART) {
    const number = parts.length + 1;
    parts.push({ number, size: Math.min(PART, size - at), url: `/sink?part=${number}` });
  }
  const expires = new Date(Date.now() + 86400000).toISOString();
  return answer({ expires, part_size: PART, files: [{ id, upload: 'sink', parts }] });
};

self.XMLHttpRequest = class {
  constructor() {
    this.upload = { addEventListener() {} };
    this.listeners = {};
  }
  open() {}
  addEventListener(type, listener) { this.listeners[type] = listener; }
  getResponseHeader() { return '"sink"'; }
  send(bytes) {
    received += bytes.length;
    this.status = 200;
    queueMicrotask(() => this.listeners.load());
  }
};

// Raw secretstream, the floor: libsodium.js's own push over exactly what the pipeline seals,
// the file's bytes in 1 MiB chunks and then the padded empty tail, with the same associated
// data and tags. 'load' reads the chunks into memory once, before any round is timed, and
// 'drop' lets them go. Seen before the upload worker's own listener, which would take any
// other message for a file to send.
let chunks = null;
const harness = {
  async load({ file }) {
    chunks = [];
    for (let at = 0; at < file.size; at += CHUNK) {
      chunks.push(new Uint8Array(await file.slice(at, at + CHUNK).arrayBuffer()));
    }
    chunks.push(sodium.pad(new Uint8Array(0), CHUNK));
    return {};
  },
  async drop() {
    chunks = null;
    return {};
  },
  async raw() {
    const { state } = sodium.crypto_secretstream_xchacha20poly1305_init_push(
      sodium.crypto_secretstream_xchacha20poly1305_keygen());
    const ad = associatedData(sodium, REPORT_ID, FILE_ID);
    const message = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    const final = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    const start = performance.now();
    for (let i = 0; i < chunks.length; i += 1) {
      const tag = i === chunks.length - 1 ? final : message;
      sodium.crypto_secretstream_xchacha20poly1305_push(state, chunks[i], ad, tag);
    }
    return { ms: performance.now() - start };
  },
  // For scale: the pipeline's own encryption (attachment.mjs, libsodium's push on buffers in
  // its memory) over the same chunks, without reading or the part buffer.
  async seal() {
    const key = sodium.crypto_secretstream_xchacha20poly1305_keygen();
    const seal = encryptor(sodium, { key, reportId: REPORT_ID, fileId: FILE_ID });
    const start = performance.now();
    for (let i = 0; i < chunks.length - 1; i += 1) seal.pushView(chunks[i], false);
    seal.pushView(new Uint8Array(0), true);
    return { ms: performance.now() - start };
  },
  // Reading alone, as the upload worker reads: one byte stream into one reused 1 MiB buffer.
  async read({ file }) {
    const start = performance.now();
    const reader = file.stream().getReader({ mode: 'byob' });
    let buffer = new ArrayBuffer(CHUNK);
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(buffer));
      if (done) break;
      buffer = value.buffer;
    }
    return { ms: performance.now() - start };
  },
};
self.addEventListener('message', async (event) => {
  const run = harness[event.data.type];
  if (!run) return;
  event.stopImmediatePropagation();
  self.postMessage({ type: event.data.type, ...(await run(event.data)) });
});

await sodium.ready;
await import('./upload-worker.mjs');
self.postMessage({ type: 'ready' });
"""

IN_PAGE = """async (harness) => {
  const MIB = 1024 * 1024;
  const random = (bytes) => {
    const out = new Uint8Array(bytes);
    for (let at = 0; at < bytes; at += 65536) crypto.getRandomValues(out.subarray(at, at + 65536));
    return out;
  };
  const worker = new Worker(harness, { type: 'module' });
  const next = (type) => new Promise((resolve, reject) => {
    const seen = ({ data }) => {
      if (data.type === 'failed') reject(new Error(data.error));
      if (data.type !== type) return;
      worker.removeEventListener('message', seen);
      resolve(data);
    };
    worker.addEventListener('message', seen);
  });
  await next('ready');
  window.bench = {
    randomFile: (mib) => new File(Array.from({ length: mib }, () => random(MIB)), 'random.bin'),
    repeatedFile: (mib) => new File(Array(mib).fill(new Blob([random(MIB)])), 'repeated.bin'),
    async ask(type, file) {
      const answer = next(type);
      worker.postMessage({ type, file });
      return (await answer).ms;
    },
    async send(file) {
      const sink = next('sink');
      const done = next('done');
      const start = performance.now();
      worker.postMessage({
        type: 'file', job: 1, file, reportId: '0123456789ABCDEF', fileId: 'GHJKMNPQRSTVWXYZ',
        key: crypto.getRandomValues(new Uint8Array(32)), authorization: 'Bearer bench',
      });
      const { received } = await sink;
      await done;
      return { ms: performance.now() - start, received };
    },
  };
}"""


class Heaps:
    """JS heap used by the page and by its worker, through one CDP session on the page. The
    worker is auto-attached without flattening, so its commands go through
    Target.sendMessageToTarget and its answers come back as events."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.worker: str | None = None
        self.answers: dict[int, dict[str, Any]] = {}
        self.sent = 0
        self.cdp.on("Target.attachedToTarget", self._attached)
        self.cdp.on("Target.receivedMessageFromTarget", self._received)
        self.cdp.send(
            "Target.setAutoAttach",
            {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": False},
        )
        while self.worker is None:
            page.wait_for_timeout(10)

    def _attached(self, event: dict[str, Any]) -> None:
        if event["targetInfo"]["type"] == "worker":
            self.worker = event["sessionId"]

    def _received(self, event: dict[str, Any]) -> None:
        message = json.loads(event["message"])
        if "id" in message:
            self.answers[message["id"]] = message

    def _in_worker(self, method: str) -> dict[str, Any]:
        self.sent += 1
        message = {"id": self.sent, "method": method}
        self.cdp.send(
            "Target.sendMessageToTarget", {"sessionId": self.worker, "message": json.dumps(message)}
        )
        while self.sent not in self.answers:
            self.page.wait_for_timeout(1)
        result: dict[str, Any] = self.answers.pop(self.sent)["result"]
        return result

    def collect_garbage(self) -> None:
        self.cdp.send("HeapProfiler.collectGarbage")
        self._in_worker("HeapProfiler.collectGarbage")

    def used(self) -> tuple[int, int]:
        return used(self.cdp.send("Runtime.getHeapUsage")), used(
            self._in_worker("Runtime.getHeapUsage")
        )


def used(usage: dict[str, Any]) -> int:
    """A JS heap's bytes in use, with its embedder objects and ArrayBuffer backing stores (the
    part buffer, the chunks read, libsodium's WebAssembly memory)."""
    return int(usage["usedSize"] + usage["embedderHeapUsedSize"] + usage["backingStorageSize"])


def chromium_rss() -> int:
    """VmRSS summed over every chromium process descended from this one, in bytes."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
        except (OSError, ValueError):
            continue  # gone meanwhile, or a line without a colon
        pid = int(status.parent.name)
        children.setdefault(int(fields["PPid"]), []).append(pid)
        if fields["Name"].strip() == "chromium" and "VmRSS" in fields:
            rss[pid] = int(fields["VmRSS"].split()[0]) * 1024
    total, stack = 0, [os.getpid()]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def throughput(page: Any, mib: int, runs: int) -> dict[str, list[float]]:
    """MiB/s of the pipeline, of raw push and of reading alone, and raw/pipeline time, each
    round after one warm-up round (which lets V8 and WebAssembly reach their optimised code)."""
    page.evaluate("mib => { bench.file = bench.randomFile(mib); }", mib)
    page.evaluate("() => bench.ask('load', bench.file)")
    rounds: dict[str, list[float]] = {n: [] for n in ("pipeline", "raw", "seal", "read", "ratio")}
    for _ in range(runs + 1):
        result = page.evaluate("() => bench.send(bench.file)")
        # the stored size (header and sealed chunks, the padded tail included), all of it, once
        assert result["received"] == 24 + (mib + 1) * (MIB + 17), result
        raw_ms = page.evaluate("() => bench.ask('raw')")
        times = {"pipeline": result["ms"], "raw": raw_ms}
        times["seal"] = page.evaluate("() => bench.ask('seal')")
        times["read"] = page.evaluate("() => bench.ask('read', bench.file)")
        for name, ms in times.items():
            rounds[name].append(mib / (ms / 1000))
        rounds["ratio"].append(raw_ms / result["ms"])
    page.evaluate("() => bench.ask('drop')")
    page.evaluate("() => { bench.file = null; }")
    return {name: values[1:] for name, values in rounds.items()}


def memory(page: Any, heaps: Heaps, mib: int) -> tuple[float, float, float, float]:
    """Peak growth over the baseline, in MiB, of page heap, worker heap and chromium RSS,
    while a `mib` MiB file goes through; and the pipeline's MiB/s meanwhile."""
    page.evaluate("mib => { bench.file = bench.repeatedFile(mib); bench.result = null; }", mib)
    heaps.collect_garbage()
    base_page, base_worker = heaps.used()
    base_rss = chromium_rss()
    peak_page, peak_worker, peak_rss = base_page, base_worker, base_rss
    page.evaluate("() => { bench.send(bench.file).then((r) => { bench.result = r; }); }")
    while (result := page.evaluate("() => bench.result")) is None:
        used_page, used_worker = heaps.used()
        peak_page, peak_worker = max(peak_page, used_page), max(peak_worker, used_worker)
        peak_rss = max(peak_rss, chromium_rss())
        page.wait_for_timeout(SAMPLE_MS)
    page.evaluate("() => { bench.file = null; }")
    return (
        (peak_page - base_page) / MIB,
        (peak_worker - base_worker) / MIB,
        (peak_rss - base_rss) / MIB,
        mib / (result["ms"] / 1000),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=256, help="file size for the throughput")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with site_page({HARNESS: HARNESS_JS}) as page:  # the site with the harness added
        page.evaluate(IN_PAGE, f"/{HARNESS}")
        heaps = Heaps(page)
        grown = {mib: memory(page, heaps, mib) for mib in MEMORY_FILES_MIB}
        rounds = throughput(page, args.mib, args.runs)

    print(
        f"Chromium upload pipeline, network replaced by a counting sink; {args.mib} MiB file, "
        f"{args.runs} rounds after a warm-up: median (range)"
    )
    rows = {
        "pipeline (read, encrypt, hand to upload)": "pipeline",
        "raw libsodium.js secretstream push": "raw",
        "encryption alone (attachment.mjs pushView)": "seal",
        "reading alone (the worker's byte stream)": "read",
    }
    for label, name in rows.items():
        values = rounds[name]
        print(f"{label:42s} {median(values):7.1f} MiB/s ({min(values):.1f} to {max(values):.1f})")
    ratios = rounds["ratio"]
    ratio = median(ratios)
    verdict = "met" if ratio >= 0.8 else "NOT met"
    print(
        f"ratio pipeline/raw, each round's own      {ratio:7.2f}       ({min(ratios):.2f} to "
        f"{max(ratios):.2f})  target >= 0.8: {verdict}"
    )
    print()
    print("peak growth over baseline, MiB   page heap  worker heap  chromium RSS  pipeline MiB/s")
    for mib, (page_heap, worker_heap, rss, speed) in grown.items():
        print(
            f"{mib:5d} MiB file                  {page_heap:10.1f} {worker_heap:12.1f} "
            f"{rss:13.1f} {speed:15.1f}"
        )
    worst = max(max(g[:3]) for g in grown.values())
    verdict = "met" if worst < 100 else "NOT met"
    print(f"largest growth {worst:.1f} MiB; target < 100 MiB, independent of size: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
