// The page's side of receipt-worker.mjs: one fresh worker per derivation, ended as soon as
// it has answered (or failed), so no worker keeps a code or its keys. The worker is started
// ahead of time, while the page is idle, so that its libsodium is loaded and compiled before
// the reporter presses "send" or "open" (issue 15): a spare waits for its one code.

import { afterSodium, whenIdle } from './sodium.mjs';

let spare = null;

function startWorker() {
  return new Worker(new URL('./receipt-worker.mjs', import.meta.url), { type: 'module' });
}

/** Start a spare receipt worker now, unless one is waiting already. */
export function warmReceiptWorker() {
  if (spare) return;
  const worker = startWorker();
  spare = worker;
  // A spare that failed to load is forgotten; the next derivation starts a new one.
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    if (spare === worker) {
      spare = null;
      worker.terminate();
    }
  });
}

/**
 * Derive {secretKey, publicKey, signingKey, signingPublicKey, token, reportId} from a typed
 * code, off the page's thread. With `again` (the default), a new spare is started when the
 * page is next idle, for the next code (the status page); without, none is (the report form
 * derives one code per report, and should download nothing more once it is sent).
 */
export function deriveInWorker(code, { again = true } = {}) {
  return new Promise((resolve, reject) => {
    const worker = spare ?? startWorker();
    spare = null;
    const finish = (settle, value) => {
      worker.terminate();
      if (again) setTimeout(() => whenIdle(warmReceiptWorker), 1000);
      settle(value);
    };
    worker.addEventListener('message', ({ data }) => {
      if (data && data.ok) {
        const {
          secretKey, publicKey, signingKey, signingPublicKey, token, reportId,
        } = data;
        finish(resolve, {
          secretKey, publicKey, signingKey, signingPublicKey, token, reportId,
        });
      } else {
        finish(reject, new Error('the receipt code could not be derived'));
      }
    });
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      finish(reject, new Error('the receipt worker failed'));
    });
    worker.addEventListener('messageerror', () => finish(reject, new Error('bad worker answer')));
    worker.postMessage({ code });
  });
}

afterSodium(warmReceiptWorker);
