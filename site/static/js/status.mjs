// "Cek Status Laporan": the reporter types the receipt code; a worker derives the keys; the
// page fetches the case's mailbox with the token, decrypts it here and lets the reporter
// answer, with evidence files: the follow-up, sealed to the desks the mailbox names (the
// report's routed desks and those the case was shared with), the recovery key and the
// reporter, and signed with the key the code gives (checked by the mailbox against the key
// registered with the report), whose manifest lists them, is stored first, then the files
// are encrypted and sent one by one (uploads.mjs). The code is never sent, stored or put in
// the URL; "close" wipes it from the page.

import { MAILBOX, bearer, call } from './api.mjs';
import { clearCase, showCase } from './case-view.mjs';
import { showDesks } from './desk-list.mjs';
import { keyId, sealEnvelope } from './envelope.mjs';
import {
  chosenFiles, clearEvidence, sealedEvidence, setEvidenceRoom, setUpEvidence,
} from './evidence.mjs';
import {
  StaleKeyError, UnknownDeskError, deskRecipients, keyringSigners,
} from './keyring.mjs';
import { Pending, outcomeUnknown } from './pending.mjs';
import { PROOF_ERRORS } from './pow-client.mjs';
import { deriveInWorker } from './receipt-client.mjs';
import { SYMBOLS } from './receipt.mjs';
import { sendSealed } from './send.mjs';
import { REPORTER, signEnvelope } from './signature.mjs';
import { loadSodium, sodiumIfReady } from './sodium.mjs';
import { followupPlaintext, readThread } from './thread.mjs';
import { cancelUploads, sendFiles, uploading } from './uploads.mjs';
import { Waiting } from './waiting.mjs';
import { ModuleIntegrityError } from './xwing-loader.mjs';

const lookup = document.getElementById('lookup');
const codeInput = document.getElementById('code');
const caseView = document.getElementById('case');
const followup = document.getElementById('followup');
const followupText = document.getElementById('followup-text');
const closedNote = document.getElementById('closed');
const intro = document.getElementById('lookup-intro');
const uploads = document.getElementById('uploads');

const routedDesks = document.getElementById('routed-desks');

// The open case: {lib, reportId, authorization, keyPair, signingKey, desks}; null when none
// is open. `desks`: the desk ids of the mailbox's last answer, those a follow-up is sealed to.
let session = null;
const pending = new Pending(); // a follow-up sent whose answer never came

function area(form, name) {
  return form.querySelector(`[data-area="${name}"]`);
}

function say(form, name, message) {
  area(form, name).textContent = message;
}

function showError(form, message) {
  say(form, 'error', message);
  if (message) area(form, 'error').focus();
}

// Each form's waiting state: its steps, bar and words (waiting.mjs).
const opening = new Waiting(area(lookup, 'progress'), area(lookup, 'status'));
const sending = new Waiting(area(followup, 'progress'), area(followup, 'status'));

/** Disable a form's button while work runs; after it, its waiting state goes. */
function busy(form, waiting, on) {
  form.querySelector('button[type="submit"]').disabled = on;
  if (!on) waiting.end();
}

class Answer extends Error {
  constructor(status) {
    super(`the API answered ${status}`);
    this.status = status;
  }
}

async function fetchCase(current) {
  const response = await call(MAILBOX, { authorization: current.authorization });
  if (response.status !== 200) throw new Answer(response.status);
  const mailbox = await response.json();
  if (mailbox?.id !== current.reportId) throw new Answer(502);
  const signers = keyringSigners(current.lib);
  const thread = readThread(current.lib, mailbox, current.reportId, current.keyPair, signers);
  // A mailbox without desks (an API older than the page) leaves nothing to seal a follow-up
  // to: sending it is refused as out of date, and the case can still be read.
  current.desks = Array.isArray(mailbox.desks) ? mailbox.desks : [];
  showDesks(routedDesks, current.desks, current.lib);
  showCase(caseView, { reportId: current.reportId, received: String(mailbox.received ?? ''), thread });
  setEvidenceRoom(followup, mailbox.uploads_left);
}

function wipe(lib, keys) {
  for (const bytes of [
    keys.secretKey, keys.privateKey, keys.publicKey, keys.token, keys.signingKey,
  ]) {
    if (bytes) lib.memzero(bytes);
  }
}

/**
 * What to say, at once and without the Argon2id derivation, of a text that cannot be a receipt
 * code because of its length (how many letters and digits there are is no secret: every code
 * has 20); the registration number, 16 symbols in four groups, is named as such. Null for a
 * text of the right length: that one, right or wrong, is derived and asked for like any other,
 * so wrong codes of the right shape keep their one answer after the same work.
 */
function wrongShape(typed) {
  const symbols = typed.replace(/[\s\-._]+/g, '');
  if (symbols.length === SYMBOLS) return null;
  if (REGISTRATION.test(typed.trim())) return lookup.dataset.msgRegistration;
  return lookup.dataset.msgLength
    .replace('{typed}', String(symbols.length)).replace('{expected}', String(SYMBOLS));
}

// A registration number as shown (XXXX-XXXX-XXXX-XXXX) or typed without its dashes.
const REGISTRATION = /^[0-9A-HJKMNP-TV-Z]{4}([\s-]?[0-9A-HJKMNP-TV-Z]{4}){3}$/i;

async function onLookup(event) {
  event.preventDefault();
  if (lookup.querySelector('button[type="submit"]').disabled) return;
  showError(lookup, '');
  closedNote.hidden = true;
  const typed = codeInput.value;
  if (typed.trim() === '') {
    showError(lookup, lookup.dataset.msgEmpty);
    codeInput.focus();
    return;
  }
  const refused = wrongShape(typed);
  if (refused) {
    showError(lookup, refused);
    return;
  }
  busy(lookup, opening, true);
  const d = lookup.dataset;
  let lib = null;
  let keys = null;
  try {
    if (sodiumIfReady() === null) opening.step(d.msgPreparing); // no fraction: the time only
    lib = await loadSodium();
    // Any text is derived, valid code or not: a mistyped code costs the same work as a real one.
    // Argon2id tells nothing of how far it has come: the time only.
    opening.step(d.msgDeriving, { n: 1, count: 2 });
    keys = await deriveInWorker(typed);
    opening.step(d.msgFetching, { n: 2, count: 2 });
    const current = {
      lib,
      reportId: keys.reportId,
      authorization: bearer(lib, keys.token),
      keyPair: { publicKey: keys.publicKey, privateKey: keys.secretKey },
      signingKey: keys.signingKey,
      desks: [],
    };
    lib.memzero(keys.token);
    await fetchCase(current);
    session = current;
    keys = null;
    codeInput.value = '';
    lookup.hidden = true;
    intro.hidden = true;
    caseView.focus();
  } catch (error) {
    if (keys) wipe(lib, keys);
    const unknown = error instanceof Answer && error.status === 404;
    showError(lookup, unknown ? lookup.dataset.msgUnknown : lookup.dataset.msgFailed);
  } finally {
    busy(lookup, opening, false);
  }
}

/**
 * A follow-up is sealed to the case's desks and the recovery key (docs/spec/desks-v2.md
 * section 5.4), and to the reporter, who can read it again later. UnknownDeskError when the
 * mailbox names a desk this page has no key for, or names none.
 */
async function recipients(lib, desks, reporterKey) {
  if (desks.length === 0) throw new UnknownDeskError('');
  const { recipients: to, xwing } = await deskRecipients(lib, desks);
  return { recipients: [...to, { kid: keyId(lib, reporterKey), publicKey: reporterKey }], xwing };
}

const SEND_ERRORS = { 403: 'msgFull', 413: 'msgTooLong', 422: 'msgOutdated' };

/** The waiting state and the words of the steps of sending (send.mjs). */
const steps = {
  waiting: sending,
  proving: followup.dataset.msgProving,
  sending: followup.dataset.msgSending,
};

async function onFollowup(event) {
  event.preventDefault();
  if (session === null || followup.querySelector('button[type="submit"]').disabled) return;
  showError(followup, '');
  say(followup, 'done', '');
  const text = followupText.value.trim();
  if (text === '') {
    showError(followup, followup.dataset.msgEmpty);
    followupText.focus();
    return;
  }
  const current = session;
  busy(followup, sending, true);
  try {
    const { lib } = current;
    // Sent before and unanswered, and unchanged since: the very same sealed follow-up again.
    const sent = await sendSealed({
      action: 'followup',
      url: MAILBOX,
      pending,
      snapshot: { text, files: chosenFiles() },
      async prepare() {
        const to = await recipients(lib, current.desks, current.keyPair.publicKey);
        const { files, manifest } = sealedEvidence(lib);
        const envelope = sealEnvelope(lib, {
          kind: 'followup',
          id: current.reportId,
          plaintext: followupPlaintext(lib, text, new Date(), manifest),
          ...to,
        });
        const { sig } = signEnvelope(lib, envelope, REPORTER, current.signingKey);
        const signed = { 'Wbs-Signature': sig };
        return { files, sealed: { envelope, authorization: current.authorization, signed } };
      },
      ui: steps,
    });
    const { files } = sent.draft;
    const { authorization } = current;
    if (outcomeUnknown(sent.status)) {
      showError(followup, followup.dataset.msgUncertain);
      return;
    }
    if (sent.status !== 201) {
      const name = PROOF_ERRORS.has(sent.error) ? 'msgFailed' : SEND_ERRORS[sent.status];
      showError(followup, followup.dataset[name ?? 'msgFailed']);
      return;
    }
    followupText.value = '';
    clearEvidence(followup);
    say(followup, 'done', followup.dataset.msgSent);
    if (session === current) await fetchCase(current).catch(() => {});
    // The follow-up is stored: its files follow, one at a time, with the same token.
    if (files.length) {
      uploads.querySelector('#upload-list').replaceChildren();
      delete uploads.dataset.state;
      sendFiles(uploads, { files, reportId: current.reportId, authorization }).catch(() => {});
    }
  } catch (error) {
    let name = 'msgFailed';
    if (error?.code === 'too-large') name = 'msgTooLong';
    else if (error instanceof UnknownDeskError) name = 'msgUnknownDesk';
    // A hybrid desk's key or xwing.mjs not as this page names them: stale or tampered.
    else if (error instanceof StaleKeyError || error instanceof ModuleIntegrityError) name = 'msgOutdated';
    showError(followup, followup.dataset[name]);
  } finally {
    busy(followup, sending, false);
  }
}

async function onRefresh() {
  if (session === null) return;
  const button = document.getElementById('refresh');
  button.disabled = true;
  say(followup, 'done', '');
  try {
    await fetchCase(session);
  } catch {
    showError(followup, followup.dataset.msgRefreshFailed);
  } finally {
    button.disabled = false;
  }
}

/** Wipe the keys and every word of the case from memory and from the page. */
function forget() {
  cancelUploads(); // their names and keys leave the page with the case
  pending.clear();
  if (session) wipe(session.lib, { ...session.keyPair, signingKey: session.signingKey });
  session = null;
  clearCase(caseView);
  routedDesks.replaceChildren();
  followupText.value = '';
  clearEvidence(followup);
  setEvidenceRoom(followup, null);
  uploads.hidden = true;
  uploads.querySelector('#upload-list').replaceChildren();
  uploads.querySelector('#uploads-status').textContent = '';
  for (const name of ['error', 'status', 'done']) say(followup, name, '');
  codeInput.value = '';
  lookup.hidden = false;
  intro.hidden = false;
}

lookup.addEventListener('submit', onLookup);
setUpEvidence(followup);
followup.addEventListener('submit', onFollowup);
document.getElementById('refresh').addEventListener('click', onRefresh);
document.getElementById('forget').addEventListener('click', (event) => {
  if (uploading() && !window.confirm(event.currentTarget.dataset.msgStopFirst)) return;
  forget();
  closedNote.hidden = false;
  closedNote.focus();
});
window.addEventListener('pagehide', forget);
lookup.querySelector('button[type="submit"]').disabled = false; // the module runs: no native submit
say(lookup, 'status', '');
loadSodium().catch(() => {}); // reported when the reporter presses the button
