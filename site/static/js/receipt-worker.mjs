// A one-shot worker: derive the keys of one receipt code (Argon2id takes seconds on a cheap
// phone, so never on the page's thread), answer, wipe what it can, and close. Closing drops
// libsodium's WebAssembly memory too, so nothing of the code outlives the answer here.
// The page starts it ahead of time (receipt-client.mjs): it loads and compiles libsodium
// while the reporter reads, then waits for its one code.

import sodium from './vendor/libsodium-wrappers.mjs';
import { derive } from './receipt.mjs';

sodium.ready.catch(() => {}); // compile now, in the idle time; a failure is answered below

self.addEventListener('message', async ({ data }) => {
  try {
    await sodium.ready;
    const keys = derive(sodium, String(data.code));
    self.postMessage({ ok: true, ...keys }); // copied now, so it can be wiped below
    sodium.memzero(keys.secretKey);
    sodium.memzero(keys.signingKey);
    sodium.memzero(keys.token);
  } catch {
    self.postMessage({ ok: false });
  } finally {
    self.close();
  }
}, { once: true });
