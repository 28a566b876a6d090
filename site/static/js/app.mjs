// The reporting page: encrypt the report in this browser, send only ciphertext.
// Nothing is stored on the device: no cookie, no web storage, no change to the URL.

import { formatId, newReportId, sealEnvelope } from './envelope.mjs';
import { reportPayload, resetForm, setUpForm, validate } from './report-form.mjs';

const API = '/api/reports';

const form = document.getElementById('report');
const submit = form.querySelector('button[type="submit"]');
const errorArea = document.getElementById('form-error');
const statusArea = document.getElementById('form-status');

// libsodium (with its WebAssembly) starts loading now, in the background; the form is
// usable meanwhile. A failed load is retried on the next press of the send button.
let sodium = null;
let sodiumLoading = null;

function loadSodium() {
  sodiumLoading ??= import('./vendor/libsodium-wrappers.mjs')
    .then(async ({ default: lib }) => {
      await lib.ready;
      sodium = lib;
      return lib;
    })
    .catch((error) => {
      sodiumLoading = null;
      throw error;
    });
  return sodiumLoading;
}

function say(area, message) {
  area.textContent = message;
}

function recipients(lib) {
  return Array.from(document.querySelectorAll('#recipients [data-kid]'), (li) => ({
    kid: li.dataset.kid,
    publicKey: lib.from_base64(li.dataset.publicKey, lib.base64_variants.ORIGINAL),
  }));
}

async function post(lib, plaintext) {
  const id = newReportId(lib);
  const envelope = sealEnvelope(lib, { kind: 'report', id, plaintext, recipients: recipients(lib) });
  const response = await fetch(API, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(envelope),
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  return { id, status: response.status };
}

async function send() {
  if (sodium === null) say(statusArea, form.dataset.msgPreparing);
  const lib = await loadSodium();
  say(statusArea, form.dataset.msgSending);
  const plaintext = new TextEncoder().encode(JSON.stringify(reportPayload(form)));
  let result = await post(lib, plaintext);
  if (result.status === 409) result = await post(lib, plaintext); // that id was taken: once more
  return result;
}

function showSuccess(id) {
  resetForm(form);
  form.hidden = true;
  document.getElementById('registration-number').textContent = formatId(id);
  const panel = document.getElementById('success');
  panel.hidden = false;
  panel.focus();
}

function showError(message) {
  say(errorArea, message);
  errorArea.focus();
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
  try {
    const { id, status } = await send();
    if (status === 201) showSuccess(id);
    else showError(status === 422 ? form.dataset.msgOutdated : form.dataset.msgFailed);
  } catch {
    showError(form.dataset.msgFailed); // offline, or libsodium could not be loaded
  } finally {
    say(statusArea, '');
    submit.disabled = false;
  }
}

setUpForm(form);
form.addEventListener('submit', onSubmit);
submit.disabled = false; // only now can a press never turn into a native submission
say(statusArea, ''); // the page's own "loading…" note stays only if this module never ran
loadSodium().catch(() => {}); // reported when the reporter presses send
