// A long-lived worker: solve proof-of-work challenges (seconds of hashing on a cheap phone,
// so never on the page's thread), one per message, reporting how many counters it has tried.
// The page starts it while the reporter reads (pow-client.mjs), so that its libsodium is
// loaded and compiled before "send"; it holds nothing secret between challenges.

import sodium from './vendor/libsodium-wrappers.mjs';
import { solve } from './pow.mjs';

sodium.ready.catch(() => {}); // compile now, in the idle time; a failure is answered below

self.addEventListener('message', async ({ data }) => {
  try {
    await sodium.ready;
    const proof = solve(sodium, String(data.challenge), Number(data.difficulty), (tried) => {
      self.postMessage({ tried });
    });
    self.postMessage({ ok: true, proof });
  } catch {
    self.postMessage({ ok: false });
  }
});
