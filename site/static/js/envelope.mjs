// Envelope format v1 (docs/spec/envelope-v1.md), in the browser, with libsodium.js.
//
// A random content key encrypts the padded payload with XChaCha20-Poly1305 (IETF); the
// context (version, kind, report id) is the associated data; the content key is sealed with
// crypto_box_seal to every recipient. Every primitive is libsodium's: nothing home-made.
// `sodium` is always the ready libsodium-wrappers(-sumo) object, passed in by the caller.

export const VERSION = 1;
export const KINDS = new Set(['report', 'followup', 'reply']);
export const MIN_BUCKET = 1024;
export const MAX_BUCKET = 512 * 1024;
export const MAX_RECIPIENTS = 16;
const TAG_BYTES = 16;
const NONCE_BYTES = 24;
const SEALED_BYTES = 80;
const X25519 = 'X25519';
const FIELDS = ['ciphertext', 'id', 'kind', 'nonce', 'recipients', 'v'];
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ID_RE = /^[0-9A-HJKMNP-TV-Z]{16}$/;
const KID_RE = /^[0-9a-f]{16}$/;
const TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** An error with a stable `code`: malformed, unsupported-version, no-matching-key, decryption-failure. */
export class EnvelopeError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'EnvelopeError';
    this.code = code;
  }
}

const fail = (message) => { throw new EnvelopeError('malformed', message); };

export function associatedData(sodium, kind, id) {
  return sodium.from_string(`wbs/v1\u0000${kind}\u0000${id}`);
}

function b64(sodium, bytes) {
  return sodium.to_base64(bytes, sodium.base64_variants.ORIGINAL);
}

function unb64(sodium, value, field) {
  if (typeof value !== 'string' || !B64_RE.test(value)) fail(`${field} is not valid base64`);
  let raw;
  try {
    raw = sodium.from_base64(value, sodium.base64_variants.ORIGINAL);
  } catch {
    fail(`${field} is not canonical base64`);
  }
  if (b64(sodium, raw) !== value) fail(`${field} is not canonical base64`);
  return raw;
}

export function isBucket(size) {
  return size >= MIN_BUCKET && size <= MAX_BUCKET && (size & (size - 1)) === 0;
}

/** BLAKE2b-256 of the raw public key, lower-case hex. */
export function fingerprint(sodium, publicKey) {
  return sodium.to_hex(sodium.crypto_generichash(32, publicKey, null));
}

export function keyId(sodium, publicKey) {
  return fingerprint(sodium, publicKey).slice(0, 16);
}

/** 80 random bits in Crockford's base32 (16 characters): the report id and registration number. */
export function newReportId(sodium) {
  let id = '';
  for (let i = 0; i < 16; i += 1) id += CROCKFORD[sodium.randombytes_uniform(32)];
  return id;
}

export function formatId(id) {
  return id.match(/.{1,4}/g).join('-');
}

function pad(sodium, plaintext) {
  let bucket = MIN_BUCKET;
  while (bucket <= plaintext.length) bucket *= 2;
  if (bucket > MAX_BUCKET) throw new EnvelopeError('too-large', 'the report is too long');
  return sodium.pad(plaintext, bucket);
}

/**
 * Encrypt `plaintext` (Uint8Array) to every recipient ({type, kid, publicKey}, type X25519
 * when absent); returns the envelope as a plain object ready for JSON.stringify. An `X-Wing`
 * recipient needs `xwing`, the xwing.mjs module (loaded by the caller only when needed:
 * xwing-loader.mjs), which seals its stanza (docs/spec/xwing-v1.md section 4).
 */
export function sealEnvelope(sodium, { kind, id, plaintext, recipients, xwing = null }) {
  if (!KINDS.has(kind)) throw new EnvelopeError('malformed', `unknown kind ${kind}`);
  if (!ID_RE.test(id)) throw new EnvelopeError('malformed', 'bad id');
  if (!recipients.length || recipients.length > MAX_RECIPIENTS) {
    throw new EnvelopeError('malformed', 'bad recipient count');
  }
  const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
  const nonce = sodium.randombytes_buf(NONCE_BYTES);
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    pad(sodium, plaintext), associatedData(sodium, kind, id), null, nonce, key);
  const stanzas = recipients.map(({ type = X25519, kid, publicKey }) => {
    if (kid !== keyId(sodium, publicKey)) throw new EnvelopeError('malformed', 'kid does not match key');
    if (type === X25519) return { type, kid, sealed: b64(sodium, sodium.crypto_box_seal(key, publicKey)) };
    if (type === xwing?.TYPE) return xwing.sealContentKey(sodium, key, publicKey);
    throw new EnvelopeError('malformed', `cannot seal to a ${type} key`);
  });
  sodium.memzero(key);
  return { v: VERSION, kind, id, recipients: stanzas, nonce: b64(sodium, nonce), ciphertext: b64(sodium, ciphertext) };
}

/** Check an envelope's structure exactly as the spec (and functions/envelope.py) does. */
export function parseEnvelope(sodium, data) {
  if (typeof data === 'string') {
    try { data = JSON.parse(data); } catch { fail('not valid JSON'); }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) fail('envelope must be a JSON object');
  if (!Number.isInteger(data.v)) fail('v must be an integer');
  if (data.v !== VERSION) throw new EnvelopeError('unsupported-version', `unsupported envelope version ${data.v}`);
  const keys = Object.keys(data).sort();
  if (keys.join() !== FIELDS.join()) fail('members must be exactly ' + FIELDS.join(', '));
  if (!KINDS.has(data.kind)) fail('unknown kind');
  if (typeof data.id !== 'string' || !ID_RE.test(data.id)) fail('bad id');
  if (!Array.isArray(data.recipients) || data.recipients.length < 1 || data.recipients.length > MAX_RECIPIENTS) {
    fail('bad recipients');
  }
  const seen = new Set();
  const recipients = data.recipients.map((s) => {
    if (s === null || typeof s !== 'object' || Object.keys(s).sort().join() !== 'kid,sealed,type') fail('bad recipient');
    if (typeof s.type !== 'string' || !TYPE_RE.test(s.type)) fail('bad recipient type');
    if (typeof s.kid !== 'string' || !KID_RE.test(s.kid)) fail('bad kid');
    const body = unb64(sodium, s.sealed, 'sealed');
    if (s.type === X25519 && body.length !== SEALED_BYTES) fail('bad sealed key length');
    if (body.length > 4096) fail('recipient stanza is too large');
    if (seen.has(`${s.type}\u0000${s.kid}`)) fail('duplicate kid');
    seen.add(`${s.type}\u0000${s.kid}`);
    return { type: s.type, kid: s.kid, body };
  });
  const nonce = unb64(sodium, data.nonce, 'nonce');
  if (nonce.length !== NONCE_BYTES) fail('bad nonce length');
  const ciphertext = unb64(sodium, data.ciphertext, 'ciphertext');
  if (!isBucket(ciphertext.length - TAG_BYTES)) fail('ciphertext length is not a bucket plus the tag');
  return { v: data.v, kind: data.kind, id: data.id, recipients, nonce, ciphertext };
}

/** Open an envelope with an X25519 key pair ({publicKey, privateKey}); returns the plaintext. */
export function openEnvelope(sodium, data, { publicKey, privateKey }) {
  const env = parseEnvelope(sodium, data);
  const kid = keyId(sodium, publicKey);
  const stanza = env.recipients.find((r) => r.type === X25519 && r.kid === kid);
  if (!stanza) throw new EnvelopeError('no-matching-key', `not addressed to key ${kid}`);
  let padded;
  try {
    const key = sodium.crypto_box_seal_open(stanza.body, publicKey, privateKey);
    padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null, env.ciphertext, associatedData(sodium, env.kind, env.id), env.nonce, key);
  } catch {
    throw new EnvelopeError('decryption-failure', 'authentication failed: tampered, corrupt or moved');
  }
  try {
    return sodium.unpad(padded, padded.length);
  } catch {
    throw new EnvelopeError('decryption-failure', 'bad padding');
  }
}
