// A one-shot worker: solve one proof-of-work challenge (seconds of hashing on a cheap phone,
// so never on the page's thread), reporting how many counters it has tried, then close.

import sodium from './vendor/libsodium-wrappers.mjs';
import { solve } from './pow.mjs';

self.addEventListener('message', async ({ data }) => {
  try {
    await sodium.ready;
    const proof = solve(sodium, String(data.challenge), Number(data.difficulty), (tried) => {
      self.postMessage({ tried });
    });
    self.postMessage({ ok: true, proof });
  } catch {
    self.postMessage({ ok: false });
  } finally {
    self.close();
  }
}, { once: true });
