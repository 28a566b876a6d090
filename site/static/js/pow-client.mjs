// The page's side of the proof of work (docs/spec/pow-v1.md): ask the API for a challenge,
// solve it in pow-worker.mjs (started while the page is idle), and hand back the Wbs-Proof
// header for one request.
// Every attempt gets its own challenge: a proof is good for one stored request only.

import { CHALLENGE, call } from './api.mjs';
import { afterSodium } from './sodium.mjs';

export class ProofError extends Error {}

// One long-lived worker, started while the page is idle (so that its libsodium is loaded and
// compiled before "send") and kept for every later proof: it holds nothing secret. A second
// proof asked while it is busy gets a worker of its own, ended when it has answered.
let shared = null;
let sharedBusy = false;

function startWorker() {
  return new Worker(new URL('./pow-worker.mjs', import.meta.url), { type: 'module' });
}

function dropShared(worker) {
  if (shared === worker) {
    shared = null;
    sharedBusy = false;
  }
  worker.terminate();
}

/** Start the proof-of-work worker ahead of time (once the page's own libsodium is loaded). */
export function warmProofWorker() {
  if (shared) return;
  const worker = startWorker();
  shared = worker;
  // A worker that failed to load is forgotten; the next proof starts a new one.
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    if (!sharedBusy) dropShared(worker);
  });
}

/** Solve `challenge` off the page's thread; `onProgress(fraction)` runs as it goes. */
export function solveInWorker(challenge, difficulty, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    if (!shared) warmProofWorker();
    const reuse = !sharedBusy;
    const worker = reuse ? shared : startWorker();
    if (reuse) sharedBusy = true;
    const listening = new AbortController();
    const finish = (settle, value, healthy) => {
      listening.abort();
      if (!reuse) worker.terminate();
      else if (healthy) sharedBusy = false;
      else dropShared(worker);
      settle(value);
    };
    const { signal } = listening;
    // The chance that a solution would have turned up by now: a fair "how far along".
    const expected = 2 ** difficulty;
    worker.addEventListener('message', ({ data }) => {
      if (data && typeof data.tried === 'number') {
        onProgress(1 - Math.exp(-data.tried / expected));
      } else if (data && data.ok) {
        onProgress(1);
        finish(resolve, String(data.proof), true);
      } else {
        finish(reject, new ProofError('the proof of work failed'), false);
      }
    }, { signal });
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      finish(reject, new ProofError('the proof-of-work worker failed'), false);
    }, { signal });
    worker.addEventListener('messageerror', () => {
      finish(reject, new ProofError('bad worker answer'), false);
    }, { signal });
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

afterSodium(warmProofWorker);
