// The keys the build embeds (#wbs-keys, wbs/build/desks.py): the active key of every desk,
// named in the page's language, the recovery key, and the persons' signing keys. Everything
// the reporter sends is sealed to the desks it goes to and to the recovery key; every reply
// the status page reads is checked against the signing keys (signature-v2 §4). Key ids are
// computed here from the public keys, as the keyring computes them (BLAKE2b-256).

import { fingerprint, keyId } from './envelope.mjs';

const ELEMENT = 'wbs-keys';

let embedded = null;

/** {desks: {id: {name, public_key}}, recovery: {label, public_key}, signers: {kid: key}}. */
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

function recipient(sodium, base64) {
  const publicKey = sodium.from_base64(base64, sodium.base64_variants.ORIGINAL);
  return { kid: keyId(sodium, publicKey), publicKey };
}

/**
 * The recipients ({kid, publicKey}) of a message to `desks` (desk ids): the active key of
 * each desk, in order of id, then the recovery key. UnknownDeskError for a desk the page
 * has no key for.
 */
export function deskRecipients(sodium, desks) {
  const keys = [...new Set(desks)].sort().map((desk) => deskEntry(desk).public_key);
  return [...keys, embeddedKeys().recovery.public_key].map((key) => recipient(sodium, key));
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
  const publicKey = sodium.from_base64(desks[desk].public_key, sodium.base64_variants.ORIGINAL);
  return fingerprint(sodium, publicKey).match(/.{4}/g).join(' ');
}

/** The persons' Ed25519 public keys by key id, retired persons' included. */
export function keyringSigners(sodium) {
  const signers = new Map();
  for (const [kid, key] of Object.entries(embeddedKeys().signers)) {
    signers.set(kid, sodium.from_base64(key, sodium.base64_variants.ORIGINAL));
  }
  return signers;
}
