// Signatures on stored items, version 2 (docs/spec/signature-v2.md): the bytes that are
// signed, an Ed25519 signature made or checked with libsodium, and why an item is not
// verified. The same encoding as functions/signature.py.

const CONTEXT = 'wbs/v2/signature';
export const REPORTER = 'reporter';
const KID_RE = /^[0-9a-f]{16}$/;

/** JSON with sorted keys and no spaces, as Python's canonical_json writes an envelope. */
function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.keys(value).sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** "wbs/v2/signature" 0x00 kind 0x00 id 0x00 by 0x00 canonical JSON of the envelope. */
export function signedBytes(envelope, by) {
  const head = [CONTEXT, envelope.kind, envelope.id, by].join('\0');
  return new TextEncoder().encode(`${head}\0${canonicalJson(envelope)}`);
}

/** The `signature` member of an envelope signed by `by` with an Ed25519 secret key. */
export function signEnvelope(sodium, envelope, by, secretKey) {
  const sig = sodium.crypto_sign_detached(signedBytes(envelope, by), secretKey);
  return { by, sig: sodium.to_base64(sig, sodium.base64_variants.ORIGINAL) };
}

/**
 * '' when `author` signed this very envelope with the key `keys` (a Map of signer to
 * Ed25519 public key) holds for it; otherwise why the item is not verified.
 */
export function checkSignature(sodium, envelope, signature, author, keys) {
  if (!signature) return 'unsigned';
  const ok = signature !== null && typeof signature === 'object'
    && Object.keys(signature).sort().join() === 'by,sig'
    && typeof signature.by === 'string' && typeof signature.sig === 'string'
    && (signature.by === REPORTER || KID_RE.test(signature.by));
  if (!ok) return 'malformed';
  if (signature.by !== author) return 'not the author';
  const key = keys.get(signature.by);
  if (!key) return 'unknown signer';
  let sig;
  try {
    sig = sodium.from_base64(signature.sig, sodium.base64_variants.ORIGINAL);
  } catch {
    return 'malformed';
  }
  if (sig.length !== 64) return 'malformed';
  return sodium.crypto_sign_verify_detached(sig, signedBytes(envelope, signature.by), key)
    ? '' : 'bad signature';
}
