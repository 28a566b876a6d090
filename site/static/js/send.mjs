// Sending a sealed message from the reporter's page, the same way for a report and for a
// follow-up: every try gets a fresh proof of work (pow-client.mjs) and POSTs the sealed bytes
// (api.mjs); a refused proof, or an answer the page names, gets one more try; a message whose
// fate is unknown is kept (pending.mjs) so that sending it again sends the very same bytes.
// What is sealed, where it goes and what the page says are the page's.

import { call } from './api.mjs';
import { outcomeUnknown } from './pending.mjs';
import { PROOF_ERRORS, errorCode, prove } from './pow-client.mjs';
import { formatBytes } from './uploads.mjs';

/**
 * One try: a fresh proof of work (in a worker) while the draft is sealed, unless
 * `draft.sealed` already holds it, then the POST. The answer's status is 0 when none came.
 * The steps are shown as such: sealing (its Argon2id gives no progress), the proof (the
 * chance that it would be solved by now, a fair fraction), sending (no byte count: the POST
 * is a fetch without cookies, and fetch tells nothing of an upload's progress).
 */
async function attempt({ action, url, seal, ui, count }, draft) {
  const { waiting } = ui;
  let proofShown = false;
  let solved = 0;
  const proving = prove(action, (fraction) => {
    solved = fraction;
    if (proofShown) waiting.progress(fraction);
  });
  proving.catch(() => {}); // awaited below; a failure must not go unhandled meanwhile
  if (!draft.sealed) {
    waiting.step(ui.sealing, { n: 1, count });
    draft.sealed = await seal(draft);
  }
  waiting.step(ui.proving, { n: count - 1, count });
  proofShown = true;
  waiting.progress(solved);
  const proof = await proving;
  const { envelope, authorization, signed } = draft.sealed;
  const size = formatBytes(JSON.stringify(envelope).length);
  waiting.step(ui.sending, { n: count, count, note: size });
  const response = await call(url, {
    method: 'POST', authorization, proof, body: envelope, signed,
  }).catch(() => null);
  if (response === null) return { status: 0, error: null };
  return { status: response.status, error: response.status === 201 ? null : await errorCode(response) };
}

/**
 * Send what the form held at `snapshot` ({text, files}) and say how it went.
 * - `pending`: the page's Pending; the draft it kept for this very snapshot is sent again,
 *   else `prepare()` (sync or async) makes one: {files, sealed, ...}, `sealed` being {envelope,
 *   authorization, signed} or null (`signed`: the Wbs-Signing-Key or Wbs-Signature header),
 *   then `seal(draft)` makes it while the proof is solved.
 * - `action`, `url`: the proof's action ("report", "followup") and the endpoint POSTed to.
 * - `resealOn`: an answer's status after which the draft is sealed anew and sent once more
 *   (as it is after a refused proof).
 * - `ui`: {waiting (waiting.mjs), sealing, proving, sending}: the page's waiting state and
 *   the words of each step (`sealing` only where `seal` is given).
 * Unknown outcome: the draft is kept in `pending`; refused: its file keys are wiped.
 * Returns {status, error, draft}, status 0 when no answer came.
 */
export async function sendSealed({
  action, url, pending, snapshot, prepare, seal = null, resealOn = null, ui,
}) {
  const draft = pending.take(snapshot) ?? await prepare();
  // The steps counted as this send began: a second try shows them as the same steps again.
  const page = { action, url, seal, ui, count: draft.sealed ? 2 : 3 };
  let result = await attempt(page, draft);
  if (result.status === resealOn) draft.sealed = null;
  if (result.status === resealOn || PROOF_ERRORS.has(result.error)) result = await attempt(page, draft);
  if (outcomeUnknown(result.status)) pending.keep(snapshot, draft);
  else if (result.status !== 201) for (const { key } of draft.files) key.fill(0);
  return { ...result, draft };
}
