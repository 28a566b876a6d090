// X-Wing (draft-connolly-cfrg-xwing-kem: ML-KEM-768 and X25519 combined through SHA3-256) and
// the `X-Wing` recipient stanza (docs/spec/xwing-v1.md), in the browser.
//
// Nothing home-made: ML-KEM-768, SHAKE256 and SHA3-256 are @noble/post-quantum's and
// @noble/hashes', X25519 and the AEAD libsodium's; this module wires them as the draft says,
// exactly as wbs/xwing.py does in Python. (@noble/post-quantum's own `ml_kem768_x25519` would
// add ML-DSA, NIST curves and a second X25519 to the download: 169 KB gzip instead of 66.)
// `sodium` is the ready libsodium-wrappers object, passed in by the caller.

import { ml_kem768 } from './vendor/noble/post-quantum/ml-kem.js';
import { sha3_256, shake256 } from './vendor/noble/hashes/sha3.js';
import { EnvelopeError, fingerprint } from './envelope.mjs';

export const TYPE = 'X-Wing';
export const SEED_BYTES = 32;
export const PUBLIC_KEY_BYTES = 1216;
export const CIPHERTEXT_BYTES = 1120;
export const SEALED_BYTES = CIPHERTEXT_BYTES + 32 + 16;
const MLKEM_PUBLIC_KEY_BYTES = 1184;
const MLKEM_CIPHERTEXT_BYTES = 1088;
const LABEL = Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c); // the draft's XWingLabel
const NONCE = new Uint8Array(24); // each shared secret encrypts once (spec §4)

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function sized(bytes, length, what) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new EnvelopeError('malformed', `${what} must be ${length} bytes`);
  }
  return bytes;
}

const combine = (ssM, ssX, ctX, pkX) => sha3_256(concat(ssM, ssX, ctX, pkX, LABEL));

function expand(sodium, seed) {
  const expanded = shake256(sized(seed, SEED_BYTES, 'an X-Wing private key'), { dkLen: 96 });
  const { publicKey: pkM, secretKey: skM } = ml_kem768.keygen(expanded.subarray(0, 64));
  const skX = expanded.slice(64, 96);
  const pkX = sodium.crypto_scalarmult_base(skX);
  sodium.memzero(expanded);
  return { skM, skX, pkM, pkX };
}

/** The 1216-byte public key of a 32-byte X-Wing private key (the draft's seed). */
export function publicKey(sodium, seed) {
  const { skM, skX, pkM, pkX } = expand(sodium, seed);
  sodium.memzero(skM);
  sodium.memzero(skX);
  return concat(pkM, pkX);
}

/** A new X-Wing key pair: {secretKey (32-byte seed), publicKey}. */
export function keygen(sodium) {
  const secretKey = sodium.randombytes_buf(SEED_BYTES);
  return { secretKey, publicKey: publicKey(sodium, secretKey) };
}

/**
 * {sharedSecret, cipherText} for a public key. `given` (64 bytes) is the draft's eseed, the
 * EncapsulateDerand input, for test vectors only; without it the randomness is fresh (and wiped).
 */
export function encapsulate(sodium, pk, given = null) {
  sized(pk, PUBLIC_KEY_BYTES, 'an X-Wing public key');
  const eseed = sized(given ?? sodium.randombytes_buf(64), 64, 'eseed');
  const pkX = pk.subarray(MLKEM_PUBLIC_KEY_BYTES);
  const ekX = eseed.subarray(32, 64);
  const ctX = sodium.crypto_scalarmult_base(ekX);
  const ssX = sodium.crypto_scalarmult(ekX, pkX); // throws on a low-order key
  // noble performs FIPS 203's encapsulation key check (and throws when it fails).
  const m = ml_kem768.encapsulate(pk.subarray(0, MLKEM_PUBLIC_KEY_BYTES), eseed.slice(0, 32));
  const sharedSecret = combine(m.sharedSecret, ssX, ctX, pkX);
  const cipherText = concat(m.cipherText, ctX);
  sodium.memzero(ssX);
  sodium.memzero(m.sharedSecret);
  if (given === null) sodium.memzero(eseed); // a caller's (a vector's) is left as it was
  return { sharedSecret, cipherText };
}

/** The 32-byte shared secret of `cipherText` under the private key `seed`. */
export function decapsulate(sodium, cipherText, seed) {
  sized(cipherText, CIPHERTEXT_BYTES, 'an X-Wing ciphertext');
  const { skM, skX, pkX } = expand(sodium, seed);
  const ctX = cipherText.subarray(MLKEM_CIPHERTEXT_BYTES);
  try {
    const ssM = ml_kem768.decapsulate(cipherText.subarray(0, MLKEM_CIPHERTEXT_BYTES), skM);
    const ssX = sodium.crypto_scalarmult(skX, ctX); // throws on a low-order share
    const ss = combine(ssM, ssX, ctX, pkX);
    sodium.memzero(ssM);
    sodium.memzero(ssX);
    return ss;
  } finally {
    sodium.memzero(skM);
    sodium.memzero(skX);
  }
}

/** The kid of a hybrid desk key: as an X25519 key's, over the 1216 bytes. */
export function keyId(sodium, pk) {
  return fingerprint(sodium, sized(pk, PUBLIC_KEY_BYTES, 'an X-Wing public key')).slice(0, 16);
}

export function associatedData(sodium, kid) {
  return sodium.from_string(`wbs/v1/stanza\u0000${TYPE}\u0000${kid}`);
}

/** The stanza {type, kid, sealed (base64)} sealing the 32-byte `contentKey` to `pk`. */
export function sealContentKey(sodium, contentKey, pk) {
  sized(contentKey, 32, 'a content key');
  const kid = keyId(sodium, pk);
  const { sharedSecret, cipherText } = encapsulate(sodium, pk);
  const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    contentKey, associatedData(sodium, kid), null, NONCE, sharedSecret);
  sodium.memzero(sharedSecret);
  return { type: TYPE, kid, sealed: sodium.to_base64(concat(cipherText, sealed), sodium.base64_variants.ORIGINAL) };
}

/**
 * The content key of an `X-Wing` stanza ({type, kid, body: the decoded `sealed`}) addressed to
 * the private key `seed`. EnvelopeError: malformed, no-matching-key or decryption-failure.
 */
export function openContentKey(sodium, { type, kid, body }, seed) {
  if (type === TYPE && body.length !== SEALED_BYTES) {
    throw new EnvelopeError('malformed', `an ${TYPE} stanza's sealed key must be ${SEALED_BYTES} bytes`);
  }
  const own = keyId(sodium, publicKey(sodium, seed));
  if (type !== TYPE || kid !== own) {
    throw new EnvelopeError('no-matching-key', `not addressed to the ${TYPE} key ${own}`);
  }
  try {
    const shared = decapsulate(sodium, body.subarray(0, CIPHERTEXT_BYTES), seed);
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null, body.subarray(CIPHERTEXT_BYTES), associatedData(sodium, kid), NONCE, shared);
  } catch {
    throw new EnvelopeError('decryption-failure', 'authentication failed: tampered, corrupt or moved');
  }
}
