// The keys the build embeds (#wbs-keys, wbs/build/desks.py): the active key of every desk,
// named in the page's language, the recovery key, and the persons' signing keys. Everything
// the reporter sends is sealed to the desks it goes to and to the recovery key; every reply
// the status page reads is checked against the signing keys (signature-v2 §4). Key ids are
// computed here from the public keys, as the keyring computes them (BLAKE2b-256).
// A hybrid (X-Wing) desk's 1216-byte key is not embedded: its fingerprint is, and the key is
// fetched from the site (assets/keys/<kid>.bin) only when a message is sealed to it, and used
// only if it has that fingerprint (docs/spec/xwing-v1.md section 8.8).

import { fingerprint, keyId } from './envelope.mjs';
import { loadXWing } from './xwing-loader.mjs';

const ELEMENT = 'wbs-keys';
const X25519 = 'X25519';
const XWING = 'X-Wing';
const KEY_FILES = '/assets/keys/';

let embedded = null;

/**
 * {desks: {id: {name, public_key} or {name, type: 'X-Wing', fingerprint}}, recovery: {label,
 * public_key, xwing_fingerprint (beside a hybrid desk)}, signers: {kid: key}}.
 */
export function embeddedKeys() {
  embedded ??= JSON.parse(document.getElementById(ELEMENT).textContent);
  return embedded;
}

/** A desk this page has no key for: the page is older than the desks of the case. */
export class UnknownDeskError extends Error {
  constructor(desk) {
    super(`this page has no key for the desk ${desk}`);
    this.name = 'UnknownDeskError';
    this.desk = desk;
  }
}

function deskEntry(desk) {
  const { desks } = embeddedKeys();
  if (typeof desk !== 'string' || !Object.hasOwn(desks, desk)) throw new UnknownDeskError(desk);
  return desks[desk];
}

/** The site's key file does not have the fingerprint this page embeds: stale or tampered. */
export class StaleKeyError extends Error {
  constructor(kid) {
    super(`the key ${kid} the site serves is not the one this page names`);
    this.name = 'StaleKeyError';
    this.kid = kid;
  }
}

function recipient(sodium, base64) {
  const publicKey = sodium.from_base64(base64, sodium.base64_variants.ORIGINAL);
  return { type: X25519, kid: keyId(sodium, publicKey), publicKey };
}

/** A key file could not be fetched (no network, or the server erred): sending again may work. */
class KeyFetchError extends Error {
  constructor(kid, status) {
    super(`the key ${kid} could not be fetched (${status})`);
    this.name = 'KeyFetchError';
  }
}

/**
 * The X-Wing public key of `fp`, fetched from the site and checked against `fp`. A key the
 * site does not have (404, or 403 as S3 answers) or that does not match is StaleKeyError;
 * a network failure (TypeError) or another answer, KeyFetchError.
 */
async function hybridRecipient(sodium, fp) {
  const kid = fp.slice(0, 16);
  const response = await fetch(`${KEY_FILES}${kid}.bin`, { credentials: 'omit' });
  if ([403, 404, 410].includes(response.status)) throw new StaleKeyError(kid);
  if (!response.ok) throw new KeyFetchError(kid, response.status);
  const publicKey = new Uint8Array(await response.arrayBuffer());
  if (fingerprint(sodium, publicKey) !== fp) throw new StaleKeyError(kid);
  return { type: XWING, kid, publicKey };
}

/**
 * What a message to `desks` (desk ids) is sealed to: {recipients, xwing}. `recipients`
 * ({type, kid, publicKey}): the active key of each desk, in order of id, then the recovery
 * key, its X-Wing key when a desk is hybrid (xwing-v1 section 8.4); `xwing`: xwing.mjs,
 * loaded only then, else null. UnknownDeskError for a desk the page has no key for,
 * StaleKeyError for a fetched key without its embedded fingerprint, ModuleIntegrityError
 * (xwing-loader.mjs) for a module without its integrity.
 */
export async function deskRecipients(sodium, desks) {
  const entries = [...new Set(desks)].sort().map(deskEntry);
  const { recovery } = embeddedKeys();
  const classical = (entry) => recipient(sodium, entry.public_key);
  if (!entries.some((entry) => entry.type === XWING)) {
    return { recipients: [...entries, recovery].map(classical), xwing: null };
  }
  const xwing = loadXWing();
  xwing.catch(() => {}); // awaited below, after the keys
  const hybrid = (entry) => hybridRecipient(sodium, entry.fingerprint);
  const recipients = await Promise.all([
    ...entries.map((entry) => (entry.type === XWING ? hybrid(entry) : classical(entry))),
    hybridRecipient(sodium, recovery.xwing_fingerprint),
  ]);
  return { recipients, xwing: await xwing };
}

/** A desk's name in the page's language; its id when the page does not know it. */
export function deskName(desk) {
  const { desks } = embeddedKeys();
  return Object.hasOwn(desks, desk) ? desks[desk].name : desk;
}

/** A desk's fingerprint in groups of four, as the page and `wbs` show them; null if unknown. */
export function deskFingerprint(sodium, desk) {
  const { desks } = embeddedKeys();
  if (!Object.hasOwn(desks, desk)) return null;
  const entry = desks[desk];
  const fp = entry.type === XWING
    ? entry.fingerprint
    : fingerprint(sodium, sodium.from_base64(entry.public_key, sodium.base64_variants.ORIGINAL));
  return fp.match(/.{4}/g).join(' ');
}

/** The persons' Ed25519 public keys by key id, retired persons' included. */
export function keyringSigners(sodium) {
  const signers = new Map();
  for (const [kid, key] of Object.entries(embeddedKeys().signers)) {
    signers.set(kid, sodium.from_base64(key, sodium.base64_variants.ORIGINAL));
  }
  return signers;
}
