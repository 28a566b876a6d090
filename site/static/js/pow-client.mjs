// The page's side of the proof of work (docs/spec/pow-v1.md): ask the API for a challenge,
// solve it in a fresh pow-worker.mjs, and hand back the Wbs-Proof header for one request.
// Every attempt gets its own challenge: a proof is good for one stored request only.

import { CHALLENGE, call } from './api.mjs';

export class ProofError extends Error {}

/** Solve `challenge` off the page's thread; `onProgress(fraction)` runs as it goes. */
export function solveInWorker(challenge, difficulty, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./pow-worker.mjs', import.meta.url), { type: 'module' });
    const finish = (settle, value) => {
      worker.terminate();
      settle(value);
    };
    // The chance that a solution would have turned up by now: a fair "how far along".
    const expected = 2 ** difficulty;
    worker.addEventListener('message', ({ data }) => {
      if (data && typeof data.tried === 'number') {
        onProgress(1 - Math.exp(-data.tried / expected));
      } else if (data && data.ok) {
        onProgress(1);
        finish(resolve, String(data.proof));
      } else {
        finish(reject, new ProofError('the proof of work failed'));
      }
    });
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      finish(reject, new ProofError('the proof-of-work worker failed'));
    });
    worker.addEventListener('messageerror', () => finish(reject, new ProofError('bad worker answer')));
    worker.postMessage({ challenge, difficulty });
  });
}

/** A fresh challenge for `action` ("report" or "followup"), solved: the Wbs-Proof value. */
export async function prove(action, onProgress = () => {}) {
  const response = await call(CHALLENGE, { method: 'POST', body: { action } });
  if (response.status !== 200) throw new ProofError(`the API answered ${response.status}`);
  const answer = await response.json();
  const difficulty = Number(answer?.difficulty);
  if (typeof answer?.challenge !== 'string' || !Number.isInteger(difficulty) || difficulty < 0
    || difficulty > 32) {
    throw new ProofError('not a challenge');
  }
  return solveInWorker(answer.challenge, difficulty, onProgress);
}

/** Error codes after which a request is sent once more, with a new challenge. */
export const PROOF_ERRORS = new Set(['bad_proof', 'proof_rejected', 'proof_expired', 'proof_used']);

/** The `error` code of a refused answer, or null. */
export async function errorCode(response) {
  try {
    const body = await response.json();
    return typeof body?.error === 'string' ? body.error : null;
  } catch {
    return null;
  }
}
