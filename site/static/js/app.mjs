// The reporting page: encrypt the report in this browser, send only ciphertext, and give the
// reporter a receipt code for the case's mailbox. Nothing is stored on the device: no
// cookie, no web storage, no change to the URL.

import { REPORTS, bearer, call } from './api.mjs';
import { CHUNK } from './attachment.mjs';
import { newReportId, sealEnvelope } from './envelope.mjs';
import { chosenFiles, clearEvidence, setUpEvidence } from './evidence.mjs';
import { keyringRecipients } from './keyring.mjs';
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
const uploads = document.getElementById('uploads');
const panel = document.getElementById('success');
const MAX_NAME_BYTES = 1024; // the manifest's limits (docs/spec/attachment-v1.md section 4)
const MAX_TYPE_BYTES = 255;

class DerivationError extends Error {}

function say(area, message) {
  area.textContent = message;
}

/** Text cut to at most `limit` bytes of UTF-8, never inside a character. */
function clip(text, limit) {
  let out = text;
  while (new TextEncoder().encode(out).length > limit) out = Array.from(out).slice(0, -1).join('');
  return out;
}

/** Each file with a random id and its own key, and the manifest that lists them. */
function evidence(lib) {
  const files = chosenFiles().map((file) => ({
    file, id: newReportId(lib), key: lib.crypto_secretstream_xchacha20poly1305_keygen(),
  }));
  const manifest = files.map(({ file, id, key }) => ({
    id,
    name: clip(file.name, MAX_NAME_BYTES),
    type: clip(file.type, MAX_TYPE_BYTES),
    size: file.size,
    chunk: CHUNK,
    key: lib.to_base64(key, lib.base64_variants.ORIGINAL),
    sha256: '', // the report is sealed before the files are read (upload-v1 section 2)
  }));
  return { files, manifest };
}

/** One try: a new receipt code, its keys (in a worker), the sealed report, the POST. */
async function attempt(lib, payload) {
  say(statusArea, form.dataset.msgDeriving);
  const code = newCode(lib);
  const keys = await deriveInWorker(code).catch(() => {
    throw new DerivationError();
  });
  lib.memzero(keys.secretKey); // only the inspectorate's replies need it, on the status page
  say(statusArea, form.dataset.msgSending);
  const publicKey = lib.to_base64(keys.publicKey, lib.base64_variants.ORIGINAL);
  const plaintext = new TextEncoder().encode(JSON.stringify({ ...payload, reporter_public_key: publicKey }));
  const envelope = sealEnvelope(lib, {
    kind: 'report', id: keys.reportId, plaintext, recipients: keyringRecipients(lib),
  });
  const authorization = bearer(lib, keys.token);
  lib.memzero(keys.token);
  const response = await call(REPORTS, { method: 'POST', authorization, body: envelope });
  return { code, reportId: keys.reportId, status: response.status, authorization };
}

async function send() {
  if (sodiumIfReady() === null) say(statusArea, form.dataset.msgPreparing);
  const payload = reportPayload(form);
  const lib = await loadSodium();
  const { files, manifest } = evidence(lib);
  if (files.length) payload.attachments = manifest;
  let result = await attempt(lib, payload);
  if (result.status === 409) result = await attempt(lib, payload); // code taken: a new one, once
  return { ...result, files };
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
    } else {
      showError(status === 422 ? form.dataset.msgOutdated : form.dataset.msgFailed);
    }
  } catch (error) {
    showError(errorMessage(error)); // offline, libsodium not loaded, or no memory for Argon2id
  } finally {
    progress.hidden = true;
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
