// The page's side of receipt-worker.mjs: one fresh worker per derivation, ended as soon as
// it has answered (or failed), so no worker keeps a code or its keys.

/**
 * Derive {secretKey, publicKey, signingKey, signingPublicKey, token, reportId} from a typed
 * code, off the page's thread.
 */
export function deriveInWorker(code) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./receipt-worker.mjs', import.meta.url), { type: 'module' });
    const finish = (settle, value) => {
      worker.terminate();
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
