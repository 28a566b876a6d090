// The reporting page: encrypt the report in this browser, send only ciphertext, and give the
// reporter a receipt code for the case's mailbox. Nothing is stored on the device: no
// cookie, no web storage, no change to the URL.

import { REPORTS, bearer, call } from './api.mjs';
import { sealEnvelope } from './envelope.mjs';
import { chosenFiles, clearEvidence, sealedEvidence, setUpEvidence } from './evidence.mjs';
import { keyringRecipients } from './keyring.mjs';
import { Pending, outcomeUnknown } from './pending.mjs';
import { PROOF_ERRORS, errorCode, prove } from './pow-client.mjs';
import { newCode } from './receipt.mjs';
import { deriveInWorker } from './receipt-client.mjs';
import { setUpReceiptPanel, showReceipt } from './receipt-panel.mjs';
import { reportPayload, resetForm, setUpForm, validate } from './report-form.mjs';
import { loadSodium, sodiumIfReady } from './sodium.mjs';
import { sendFiles } from './uploads.mjs';

const form = document.getElementById('report');
const submit = form.querySelector('button[type="submit"]');
const errorArea = document.getElementById('form-error');
const statusArea = document.getElementById('form-status');
const progress = document.getElementById('form-progress');
const bar = progress.querySelector('progress');
const uploads = document.getElementById('uploads');
const panel = document.getElementById('success');

const pending = new Pending();

class DerivationError extends Error {}

function say(area, message) {
  area.textContent = message;
}

/** The bar shows how far the proof of work has come, once it is the step being waited for. */
function showProof(fraction) {
  bar.max = 1;
  bar.value = fraction;
}

/** A new receipt code and its keys (in a worker), and the report sealed to the keyring. */
async function seal(lib, payload) {
  say(statusArea, form.dataset.msgDeriving);
  const code = newCode(lib);
  const keys = await deriveInWorker(code).catch(() => {
    throw new DerivationError();
  });
  lib.memzero(keys.secretKey); // only the inspectorate's replies need it, on the status page
  const publicKey = lib.to_base64(keys.publicKey, lib.base64_variants.ORIGINAL);
  const plaintext = new TextEncoder().encode(JSON.stringify({ ...payload, reporter_public_key: publicKey }));
  const envelope = sealEnvelope(lib, {
    kind: 'report', id: keys.reportId, plaintext, recipients: keyringRecipients(lib),
  });
  const authorization = bearer(lib, keys.token);
  lib.memzero(keys.token);
  return { code, reportId: keys.reportId, envelope, authorization };
}

/**
 * One try: a fresh proof of work (in a worker) while the report is sealed under a new code,
 * unless `draft.report` already holds one sealed before, then the POST. The answer's status
 * is 0 when none came.
 */
async function attempt(lib, draft) {
  bar.removeAttribute('value');
  let proofShown = false;
  let solved = 0;
  const proving = prove('report', (fraction) => {
    solved = fraction;
    if (proofShown) showProof(fraction);
  });
  proving.catch(() => {}); // awaited below; a failure must not go unhandled meanwhile
  draft.report ??= await seal(lib, draft.payload);
  say(statusArea, form.dataset.msgProving);
  proofShown = true;
  showProof(solved);
  const proof = await proving;
  bar.removeAttribute('value');
  say(statusArea, form.dataset.msgSending);
  const { envelope, authorization } = draft.report;
  const response = await call(REPORTS, { method: 'POST', authorization, proof, body: envelope })
    .catch(() => null);
  if (response === null) return { status: 0, error: null };
  return { status: response.status, error: response.status === 201 ? null : await errorCode(response) };
}

async function send() {
  if (sodiumIfReady() === null) say(statusArea, form.dataset.msgPreparing);
  const payload = reportPayload(form);
  const lib = await loadSodium();
  const snapshot = { text: JSON.stringify(payload), files: chosenFiles() };
  let draft = pending.take(snapshot);
  if (draft === null) {
    const { files, manifest } = sealedEvidence(lib);
    if (files.length) payload.attachments = manifest;
    draft = { payload, files, report: null };
  }
  let result = await attempt(lib, draft);
  if (result.status === 409) draft.report = null; // the code is taken: a new one
  // Code taken, or the proof refused: once more, with a new proof.
  if (result.status === 409 || PROOF_ERRORS.has(result.error)) result = await attempt(lib, draft);
  if (outcomeUnknown(result.status)) pending.keep(snapshot, draft);
  else if (result.status !== 201) for (const { key } of draft.files) key.fill(0);
  return { ...result, ...draft.report, files: draft.files };
}

function showError(message) {
  say(errorArea, message);
  errorArea.focus();
}

function errorMessage(error) {
  return error instanceof DerivationError ? form.dataset.msgDeriveFailed : form.dataset.msgFailed;
}

async function onSubmit(event) {
  event.preventDefault();
  if (submit.disabled) return;
  say(errorArea, '');
  const invalid = validate(form);
  if (invalid) {
    say(errorArea, form.dataset.msgInvalid);
    invalid.focus();
    return;
  }
  submit.disabled = true;
  progress.hidden = false;
  try {
    const { code, reportId, status, authorization, files } = await send();
    if (status === 201) {
      resetForm(form);
      clearEvidence(form);
      form.hidden = true;
      document.getElementById('intro').hidden = true;
      showReceipt(panel, { code, reportId });
      // The report is stored: its files follow, one at a time, while the code is shown.
      if (files.length) sendFiles(uploads, { files, reportId, authorization }).catch(() => {});
    } else if (outcomeUnknown(status)) {
      showError(form.dataset.msgUncertain);
    } else {
      showError(status === 422 ? form.dataset.msgOutdated : form.dataset.msgFailed);
    }
  } catch (error) {
    showError(errorMessage(error)); // offline, libsodium not loaded, or no memory for Argon2id
  } finally {
    progress.hidden = true;
    bar.removeAttribute('value');
    say(statusArea, '');
    submit.disabled = false;
  }
}

setUpForm(form);
setUpEvidence(form);
setUpReceiptPanel(panel);
form.addEventListener('submit', onSubmit);
submit.disabled = false; // only now can a press never turn into a native submission
say(statusArea, ''); // the page's own "loading…" note stays only if this module never ran
loadSodium().catch(() => {}); // reported when the reporter presses send
