// The reporting page: encrypt the report in this browser to the desks the reporter's answers
// route it to (routing.mjs) and the recovery key, send only ciphertext, and give the reporter
// a receipt code for the case's mailbox. Nothing is stored on the device: no cookie, no web
// storage, no change to the URL.

import { REPORTS, bearer } from './api.mjs';
import { showDesks } from './desk-list.mjs';
import { sealEnvelope } from './envelope.mjs';
import { chosenFiles, clearEvidence, sealedEvidence, setUpEvidence } from './evidence.mjs';
import { StaleKeyError, deskName, deskRecipients } from './keyring.mjs';
import { setUpOfficeFilter } from './office-filter.mjs';
import { Pending, outcomeUnknown } from './pending.mjs';
import { newCode } from './receipt.mjs';
import { deriveInWorker } from './receipt-client.mjs';
import { setUpReceiptPanel, showReceipt } from './receipt-panel.mjs';
import { reportPayload, resetForm, routeAnswers, setUpForm, showInvalid } from './report-form.mjs';
import { embeddedRouting, route } from './routing.mjs';
import { sendSealed } from './send.mjs';
import { loadSodium, sodiumIfReady } from './sodium.mjs';
import { sendFiles } from './uploads.mjs';
import { Waiting } from './waiting.mjs';
import { ModuleIntegrityError } from './xwing-loader.mjs';

const form = document.getElementById('report');
const submit = form.querySelector('button[type="submit"]');
const errorArea = document.getElementById('form-error');
const statusArea = document.getElementById('form-status');
const waiting = new Waiting(document.getElementById('form-progress'), statusArea);
const uploads = document.getElementById('uploads');
const panel = document.getElementById('success');
const routedDesks = document.getElementById('routed-desks');
const routeSummary = document.getElementById('route-summary');
const officeField = document.getElementById('office-field');

const routing = embeddedRouting();
const pending = new Pending();

class DerivationError extends Error {}

function say(area, message) {
  area.textContent = message;
}

/** The desks the report goes to with these answers: the central desk first. */
function routedTo({ office, concerns_staff: concernsStaff }, category) {
  const desks = [...route(routing, office, concernsStaff, category)].sort();
  return [...desks.filter((d) => d === routing.central), ...desks.filter((d) => d !== routing.central)];
}

/** "Who can read your report" and the line under the questions follow the answers. */
function showRoute() {
  const desks = routedTo(routeAnswers(form), form.elements.namedItem('category').value);
  showDesks(routedDesks, desks, sodiumIfReady());
  if (routeSummary) {
    const names = desks.map(deskName).join(', ');
    say(routeSummary, routeSummary.dataset.msgRoute.replace('{desks}', names));
  }
}

/**
 * A new receipt code and its keys (in a worker), and the report sealed to the desks its
 * answers route it to and the recovery key. The reporter's signing key goes inside the
 * report and, for the mailbox to check follow-ups against, beside it (Wbs-Signing-Key).
 */
async function seal(lib, payload) {
  const code = newCode(lib);
  const keys = await deriveInWorker(code, { again: false }).catch(() => {
    throw new DerivationError();
  });
  // Only the status page needs them: to open the inspectorate's replies, to sign follow-ups.
  lib.memzero(keys.secretKey);
  lib.memzero(keys.signingKey);
  const b64 = (bytes) => lib.to_base64(bytes, lib.base64_variants.ORIGINAL);
  const signingKey = b64(keys.signingPublicKey);
  const plaintext = new TextEncoder().encode(JSON.stringify({
    ...payload, reporter_public_key: b64(keys.publicKey), reporter_signing_key: signingKey,
  }));
  const { recipients, xwing } = await deskRecipients(lib, routedTo(payload.route, payload.category.id));
  const envelope = sealEnvelope(lib, { kind: 'report', id: keys.reportId, plaintext, recipients, xwing });
  const authorization = bearer(lib, keys.token);
  lib.memzero(keys.token);
  const signed = { 'Wbs-Signing-Key': signingKey };
  return { code, reportId: keys.reportId, envelope, authorization, signed };
}

/** The waiting state and the words of the steps of sending (send.mjs). */
const steps = {
  waiting,
  sealing: form.dataset.msgDeriving,
  proving: form.dataset.msgProving,
  sending: form.dataset.msgSending,
};

async function send() {
  // Loading libsodium: no fraction to show (a module import tells none), only the time.
  if (sodiumIfReady() === null) waiting.step(form.dataset.msgPreparing);
  const payload = reportPayload(form);
  const lib = await loadSodium();
  const snapshot = { text: JSON.stringify(payload), files: chosenFiles() };
  const { draft, ...result } = await sendSealed({
    action: 'report',
    url: REPORTS,
    pending,
    snapshot,
    prepare() {
      const { files, manifest } = sealedEvidence(lib);
      if (files.length) payload.attachments = manifest;
      return { payload, files, sealed: null };
    },
    seal: (draft) => seal(lib, draft.payload),
    resealOn: 409, // the code is taken: a new one
    ui: steps,
  });
  return { ...result, ...draft.sealed, files: draft.files };
}

function showError(message) {
  say(errorArea, message);
  errorArea.focus();
}

function errorMessage(error) {
  if (error instanceof DerivationError) return form.dataset.msgDeriveFailed;
  // A hybrid desk's key or xwing.mjs not as this page names them: the page is stale or
  // was tampered with; nothing was sent.
  const stale = error instanceof StaleKeyError || error instanceof ModuleIntegrityError;
  return stale ? form.dataset.msgOutdated : form.dataset.msgFailed;
}

async function onSubmit(event) {
  event.preventDefault();
  if (submit.disabled) return;
  say(errorArea, '');
  if (showInvalid(form, errorArea, form.dataset.msgInvalid)) {
    errorArea.focus(); // the summary, above the button just pressed, links each field
    return;
  }
  submit.disabled = true;
  try {
    const { code, reportId, status, authorization, files } = await send();
    if (status === 201) {
      resetForm(form);
      offices?.reset();
      showRoute();
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
    showError(errorMessage(error)); // offline, libsodium not loaded, no memory, stale page
  } finally {
    waiting.end();
    submit.disabled = false;
  }
}

setUpForm(form);
const offices = officeField ? setUpOfficeFilter(officeField) : null;
form.addEventListener('change', (event) => {
  if (['category', 'office', 'concerns_staff'].includes(event.target.name)) showRoute();
});
setUpEvidence(form);
setUpReceiptPanel(panel);
form.addEventListener('submit', onSubmit);
submit.disabled = false; // only now can a press never turn into a native submission
say(statusArea, ''); // the page's own "loading…" note stays only if this module never ran
// Reported when the reporter presses send; once loaded, the fingerprints are shown.
loadSodium().then(showRoute).catch(() => {});
