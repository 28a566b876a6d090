"""The cost of hybrid X-Wing desk keys (docs/spec/xwing-v1.md), as ratios to the X25519 stanza
measured in the same run.

    .venv/bin/python bench/bench_xwing.py [--keys 2000] [--browser-keys 300] [--no-browser]

Python, opening a content key (the inspector's side), --keys of each, the two sides taking
turns over five rounds, the best round counting:

  x25519     SealedBox.decrypt of an 80-byte `X25519` stanza (PyNaCl: the floor today);
  hybrid     wbs.xwing_stanza.open_content_key of a 1168-byte `X-Wing` stanza with the desk
             key expanded once, as a session holds it (ML-KEM-768 decapsulation, X25519,
             SHA3-256, XChaCha20-Poly1305);
  reports    each, then XChaCha20-Poly1305 decryption and unpadding of a 1 KiB-bucket
             payload: the floor of an inspector's report decryption with either stanza; the
             hybrid one set against the raw SealedBox.decrypt rate, as the issue's target
             (>= 0.5) and bench/bench_decrypt.py count, and against the X25519 report.

Page weight, gzip -9: xwing.mjs and the noble modules the build ships for it (what the page
would load on "send"), beside noble's own `ml_kem768_x25519` (hybrid.js) graph and the
libsodium modules the page loads today; what every page gains (xwing-loader.mjs), what a
page of a keyring with a hybrid desk gains (the #wbs-xwing list of modules and integrity),
and what a send fetches (one 1216-byte key file per hybrid desk of the route, and the
recovery key's); and the keys the page embeds (wbs/build/desks.py ``#wbs-keys``) for 1 and
550 desks: X25519 (32-byte keys), X-Wing as the page embeds them (fingerprints, xwing-v1
section 8.8), and X-Wing as whole 1216-byte keys (what the page does not do), random keys,
in JSON as the page carries them.

Chromium (skipped with --no-browser): the built site in Debian's chromium, sealing one
content key --browser-keys times with xwing.mjs's sealContentKey against libsodium.js's
crypto_box_seal, the two taking turns over five rounds, the best counting.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nacl.bindings as sodium
import nacl.utils
from bench_decrypt import TARGET, best_rates  # this folder: the same rounds and target
from nacl.public import PrivateKey, SealedBox

from wbs import xwing, xwing_stanza
from wbs.build import NODE_MODULES, static_assets, vendor_modules
from wbs.build.assets import module_graph, sri
from wbs.build.noble import noble_modules

DESKS = (1, 550)


def bench_python(count: int) -> bool:
    x25519_desk, hybrid_desk = PrivateKey.generate(), xwing.DecapsulationKey.generate()
    unsealer = SealedBox(x25519_desk)
    keys = [nacl.utils.random(32) for _ in range(count)]
    boxes = [SealedBox(x25519_desk.public_key).encrypt(k) for k in keys]
    stanzas = [xwing_stanza.seal_content_key(k, hybrid_desk.public_key) for k in keys]
    nonce, ad = bytes(24), b"wbs/v1\x00report\x000123456789ABCDEF"
    padded = sodium.sodium_pad(b"x" * 600, 1024)  # a small report: the 1 KiB bucket
    payloads = [
        sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, ad, nonce, k) for k in keys
    ]

    def x25519() -> None:
        for box in boxes:
            unsealer.decrypt(box)

    def hybrid() -> None:
        for stanza in stanzas:
            xwing_stanza.open_content_key(stanza, hybrid_desk)

    def payload(key: bytes, ciphertext: bytes) -> None:
        plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, ad, nonce, key)
        sodium.sodium_unpad(plain, len(plain))

    def x25519_report() -> None:
        for box, ciphertext in zip(boxes, payloads, strict=True):
            payload(unsealer.decrypt(box), ciphertext)

    def hybrid_report() -> None:
        for stanza, ciphertext in zip(stanzas, payloads, strict=True):
            payload(xwing_stanza.open_content_key(stanza, hybrid_desk), ciphertext)

    raw, hyb, raw_report, hyb_report = best_rates(
        count, x25519, hybrid, x25519_report, hybrid_report
    )
    met = hyb_report / raw >= TARGET
    print(f"content keys opened            {count:>10,}")
    print(f"X25519 SealedBox.decrypt (raw) {raw:>10,.0f} /s")
    print(f"X-Wing stanza                  {hyb:>10,.0f} /s   ratio to raw {hyb / raw:.3f}")
    print(
        f"X25519 report (stanza+payload) {raw_report:>10,.0f} /s"
        f"   ratio to raw {raw_report / raw:.3f}"
    )
    print(
        f"X-Wing report (stanza+payload) {hyb_report:>10,.0f} /s"
        f"   ratio to raw {hyb_report / raw:.3f}"
        f" (target >= {TARGET}: {'met' if met else 'NOT met'}),"
        f" to the X25519 report {hyb_report / raw_report:.3f}"
    )
    return met


def gz(*parts: bytes) -> int:
    return sum(len(gzip.compress(p, 9)) for p in parts)


def bench_weight() -> None:
    files = {**static_assets(), **noble_modules(NODE_MODULES)}
    graph = ["assets/js/xwing.mjs", *module_graph(files, "assets/js/xwing.mjs")]
    noble = [name for name in graph if "/noble/" in name]
    own = noble_modules(NODE_MODULES, ("post-quantum/hybrid.js",))
    sodium_files = vendor_modules(NODE_MODULES)
    print(
        f"xwing.mjs + noble, {len(noble)} modules  {gz(*(files[n] for n in graph)):>10,} B gzip"
        f"   ({sum(len(files[n]) for n in graph):,} B raw)"
    )
    print(
        f"  noble's hybrid.js graph        {gz(*own.values()):>10,} B gzip"
        f"   ({len(own)} modules; not shipped)"
    )
    print(f"  libsodium, today               {gz(*sodium_files.values()):>10,} B gzip")
    loader = files["assets/js/xwing-loader.mjs"]
    listed = json.dumps(
        [{"href": "/" + n, "integrity": sri(files[n])} for n in graph], separators=(",", ":")
    ).encode()
    print(f"  xwing-loader.mjs, every page   {gz(loader):>10,} B gzip")
    print(f"  #wbs-xwing block, hybrid pages {gz(listed):>10,} B gzip   ({len(listed):,} B raw)")
    key_file = nacl.utils.random(xwing.PUBLIC_KEY_BYTES)
    print(
        f"  a fetched key file             {gz(key_file):>10,} B gzip   ({len(key_file):,} B raw;"
        " one per hybrid desk of the route, and the recovery key's)"
    )
    for desks in DESKS:
        x25519, embedded, full = (
            gz(json.dumps({"desks": {f"desk-{n}": entry(n) for n in range(desks)}}).encode())
            for entry in (
                lambda n: {"name": f"Meja {n}", "public_key": b64(32)},
                lambda n: {"name": f"Meja {n}", "type": "X-Wing", "fingerprint": hex64()},
                lambda n: {"name": f"Meja {n}", "public_key": b64(xwing.PUBLIC_KEY_BYTES)},
            )
        )
        print(
            f"keys of {desks:>3} desks, X25519 {x25519:>8,} B gzip; X-Wing embedded as"
            f" fingerprints {embedded:>8,} (+{embedded - x25519:,}), as whole keys"
            f" {full:>9,} (+{full - x25519:,})"
        )


def b64(length: int) -> str:
    return base64.b64encode(nacl.utils.random(length)).decode()


def hex64() -> str:
    return nacl.utils.random(32).hex()


BROWSER = """async (count) => {
  const { default: sodium } = await import('/assets/js/vendor/libsodium-wrappers.mjs');
  await sodium.ready;
  const xw = await import('/assets/js/xwing.mjs');
  const desk = xw.keygen(sodium);
  const box = sodium.crypto_box_keypair();
  const key = sodium.randombytes_buf(32);
  const runs = [
    () => { for (let i = 0; i < count; i += 1) sodium.crypto_box_seal(key, box.publicKey); },
    () => { for (let i = 0; i < count; i += 1) xw.sealContentKey(sodium, key, desk.publicKey); },
  ];
  const best = [Infinity, Infinity];
  for (let round = 0; round < 5; round += 1) {
    runs.forEach((run, n) => {
      const start = performance.now();
      run();
      best[n] = Math.min(best[n], performance.now() - start);
    });
  }
  return best.map((ms) => count / (ms / 1000));
}"""


def bench_browser(count: int) -> None:
    from tests.support.chromium import site_page

    with site_page() as page:
        raw, hybrid = page.evaluate(BROWSER, count)
    print(f"Chromium, stanzas sealed       {count:>10,}")
    print(f"X25519 crypto_box_seal         {raw:>10,.0f} /s")
    print(f"X-Wing sealContentKey          {hybrid:>10,.0f} /s   ratio {hybrid / raw:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=2000)
    parser.add_argument("--browser-keys", type=int, default=300)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    met = bench_python(args.keys)
    print()
    bench_weight()
    if not args.no_browser:
        print()
        bench_browser(args.browser_keys)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
