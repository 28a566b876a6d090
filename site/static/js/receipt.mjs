// The receipt code (docs/spec/mailbox-v1.md §1-2): 100 random bits the reporter writes down,
// never sent anywhere. Argon2id turns it into the reporter's X25519 key pair, Ed25519
// signing pair (docs/spec/signature-v2.md §5) and the mailbox token; two BLAKE2b hashes of the token give the report id and the verifier the
// server keeps. `sodium` is the ready libsodium-wrappers-sumo object (crypto_pwhash).

export const SYMBOLS = 20;
export const OPSLIMIT = 3;
export const MEMLIMIT = 64 * 1024 * 1024;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_RE = /^[0-9A-HJKMNP-TV-Z]{20}$/;
const CONFUSABLE = { O: '0', I: '1', L: '1', U: 'V' };

const utf8 = (text) => new TextEncoder().encode(text);

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Big-endian bits, five at a time (10 bytes -> 16 symbols; the low bits when uneven). */
export function crockford(bytes) {
  let number = 0n;
  for (const byte of bytes) number = (number << 8n) | BigInt(byte);
  const count = Math.floor((bytes.length * 8) / 5);
  let out = '';
  for (let i = count - 1; i >= 0; i -= 1) out += CROCKFORD[Number((number >> BigInt(5 * i)) & 31n)];
  return out;
}

export function group(code) {
  return code.match(/.{1,4}/g).join('-');
}

/** A new code, grouped for reading aloud: XXXX-XXXX-XXXX-XXXX-XXXX. */
export function newCode(sodium) {
  let code = '';
  for (let i = 0; i < SYMBOLS; i += 1) code += CROCKFORD[sodium.randombytes_uniform(32)];
  return group(code);
}

/** Forgive case, spaces, dashes, dots and look-alikes; null if it is still not 20 symbols. */
export function normalize(typed) {
  const code = typed.replace(/[\s\-._]+/g, '').toUpperCase().replace(/[OILU]/g, (c) => CONFUSABLE[c]);
  return CODE_RE.test(code) ? code : null;
}

export function reportIdOf(sodium, token) {
  return crockford(sodium.crypto_generichash(10, concat(utf8('wbs/v1/report-id'), token), null));
}

export function verifierOf(sodium, token) {
  return sodium.to_hex(sodium.crypto_generichash(32, concat(utf8('wbs/v1/mailbox-verifier'), token), null));
}

/**
 * Derive {secretKey, publicKey, signingKey, signingPublicKey, token, reportId} from a typed
 * code (signingKey is libsodium's 64-byte Ed25519 secret key). A code that does not
 * normalise is derived from its cleaned text all the same, so that a mistyped code costs
 * exactly the work of a real one (and then matches no mailbox).
 */
export function derive(sodium, typed) {
  const code = normalize(typed) ?? typed.replace(/[\s\-._]+/g, '').toUpperCase();
  const salt = sodium.crypto_generichash(16, utf8('wbs/v1/receipt-salt'), null);
  const seed = sodium.crypto_pwhash(32, utf8(code), salt, OPSLIMIT, MEMLIMIT,
    sodium.crypto_pwhash_ALG_ARGON2ID13);
  const secretKey = sodium.crypto_generichash(32, utf8('wbs/v1/reporter-x25519'), seed);
  const token = sodium.crypto_generichash(32, utf8('wbs/v1/mailbox-token'), seed);
  const signingSeed = sodium.crypto_generichash(32, utf8('wbs/v2/reporter-ed25519'), seed);
  sodium.memzero(seed);
  const signing = sodium.crypto_sign_seed_keypair(signingSeed);
  sodium.memzero(signingSeed);
  return {
    secretKey,
    publicKey: sodium.crypto_scalarmult_base(secretKey),
    signingKey: signing.privateKey,
    signingPublicKey: signing.publicKey,
    token,
    reportId: reportIdOf(sodium, token),
  };
}
