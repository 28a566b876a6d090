// A case's thread (docs/spec/mailbox-v1.md §4): decrypt every stored message with the
// reporter's keys, check it, keep the order they were stored in (the server's answer), drop
// only a second copy of the same sealed bytes from the same sender, flag a message whose own
// time strays from when it was stored, and find the current status. A message that cannot be
// read is kept, marked as such, never hidden. A reply is checked against the keyring's
// signing keys (signature-v2 §4): one that is not verified is kept, flagged, and changes no
// status.

import { newReportId, openEnvelope } from './envelope.mjs';
import { checkSignature } from './signature.mjs';

export const SCHEMA = 'wbs-message/1';
export const STATUSES = [
  'menunggu-verifikasi', 'sedang-diverifikasi', 'perlu-informasi-tambahan', 'dalam-proses',
  'dalam-investigasi', 'diteruskan', 'selesai', 'ditolak',
];
export const FIRST_STATUS = 'menunggu-verifikasi';
const MEMBERS = ['by', 'id', 'reason', 'schema', 'sent', 'status', 'text', 'type'];
const KIND_OF = { reporter: 'followup', inspectorate: 'reply' };
const ID_RE = /^[0-9A-HJKMNP-TV-Z]{16}$/;
const SENT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
// How far a message's own time may be from when it was stored before it is flagged.
const STRAY_MS = 10 * 60 * 1000;

/** UTC time to the second, as messages carry it: YYYY-MM-DDTHH:MM:SSZ. */
export function utcSecond(date = new Date()) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The plaintext of a reporter's follow-up (a Uint8Array); `attachments` is the manifest of
 * its evidence files (attachment-v1 section 4), left out when there are none.
 */
export function followupPlaintext(sodium, text, date = new Date(), attachments = []) {
  const message = {
    schema: SCHEMA, id: newReportId(sodium), sent: utcSecond(date), type: 'message',
    text, status: '', reason: '', by: '',
  };
  if (attachments.length) message.attachments = attachments;
  return new TextEncoder().encode(JSON.stringify(message));
}

const FILE_MEMBERS = ['chunk', 'id', 'key', 'name', 'sha256', 'size', 'type'];

/** A follow-up's manifest, checked for what the page shows: names and sizes. */
function checkedFiles(value) {
  const ok = Array.isArray(value) && value.every((entry) => entry !== null
    && typeof entry === 'object' && !Array.isArray(entry)
    && Object.keys(entry).sort().join() === FILE_MEMBERS.join()
    && ID_RE.test(entry.id) && typeof entry.name === 'string' && typeof entry.type === 'string'
    && Number.isSafeInteger(entry.size) && entry.size >= 0)
    && new Set(value.map((entry) => entry.id)).size === value.length;
  if (!ok) throw new Error('not a manifest');
  return value.map(({ id, name, size }) => ({ id, name, size }));
}

function parseMessage(bytes, kind) {
  const message = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  // Only a follow-up may carry files; the page keeps their names and sizes, never the keys.
  let files = [];
  if (message !== null && typeof message === 'object' && 'attachments' in message) {
    if (kind !== 'followup') throw new Error('a reply carries no attachments');
    files = checkedFiles(message.attachments);
    delete message.attachments;
  }
  const ok = message !== null && typeof message === 'object' && !Array.isArray(message)
    && Object.keys(message).sort().join() === MEMBERS.join()
    && message.schema === SCHEMA
    && MEMBERS.every((name) => typeof message[name] === 'string')
    && ID_RE.test(message.id) && SENT_RE.test(message.sent)
    && (message.type === 'message'
      || (message.type === 'status' && kind === 'reply' && STATUSES.includes(message.status)));
  if (!ok) throw new Error('not a wbs-message/1 document');
  return { ...message, files };
}

/**
 * Why a reply is not verified ('' when it is): its signature must be its author's (the `by`
 * inside), by a key of the keyring. The reporter's follow-ups are not checked here.
 */
function unverified(sodium, item, message, signers) {
  if (item.from !== 'inspectorate') return '';
  return checkSignature(sodium, item.envelope, item.signature, message.by, signers);
}

function readEntry(sodium, item, reportId, keyPair, signers) {
  const from = item && KIND_OF[item.from] ? item.from : 'inspectorate';
  const sent = item && typeof item.sent === 'string' && SENT_RE.test(item.sent) ? item.sent : '';
  try {
    const kind = KIND_OF[item.from];
    if (item.envelope?.kind !== kind || item.envelope?.id !== reportId) throw new Error('misplaced');
    const message = parseMessage(openEnvelope(sodium, item.envelope, keyPair), kind);
    const strays = !sent || Math.abs(Date.parse(message.sent) - Date.parse(sent)) > STRAY_MS;
    const reason = unverified(sodium, item, message, signers);
    return { from, sent: message.sent, stored: sent, strays, message, unverified: reason };
  } catch {
    return { from, sent, stored: sent, strays: false, message: null, unverified: '' };
  }
}

/**
 * The thread of a mailbox answer ({id, received, messages}) for these keys, its replies
 * checked against `signers` (a Map of key id to Ed25519 public key, keyring.mjs):
 * {entries: [{from, sent, message|null, unverified}], history: [status messages], status}.
 * Only verified status changes are in the history and set the status.
 */
export function readThread(sodium, mailbox, reportId, keyPair, signers) {
  const seen = new Set();
  const entries = [];
  const items = Array.isArray(mailbox.messages) ? mailbox.messages : [];
  items.forEach((item) => { // in the order they were stored
    const entry = readEntry(sodium, item, reportId, keyPair, signers);
    if (entry.message) {
      const copy = `${entry.from} ${item.envelope.nonce} ${item.envelope.ciphertext}`;
      if (seen.has(copy)) return; // the same sealed bytes stored again
      seen.add(copy);
    }
    entries.push(entry);
  });
  const history = entries.filter((e) => e.message?.type === 'status' && !e.unverified)
    .map((e) => e.message);
  const status = history.length ? history[history.length - 1].status : FIRST_STATUS;
  return { entries, history, status };
}
