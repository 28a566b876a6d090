// Proof of work (docs/spec/pow-v1.md): find a counter such that SHA-256 of the proof
// "<challenge>.<counter>" starts with `difficulty` zero bits. libsodium's crypto_hash_sha256
// does the hashing (about five times as fast here as WebCrypto's asynchronous digest).

const REPORT_EVERY = 1 << 14; // tries between two progress reports
const MAX_COUNTER = Number.MAX_SAFE_INTEGER; // 16 digits: what a server accepts

/** The number of leading zero bits of `hash` (a Uint8Array). */
export function leadingZeroBits(hash) {
  let bits = 0;
  for (const byte of hash) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

/**
 * The proof for `challenge` (its Wbs-Proof header value). `onProgress(tried)` is called every
 * few thousand tries; counters are tried from 0 upwards.
 */
export function solve(sodium, challenge, difficulty, onProgress = () => {}) {
  const prefix = new TextEncoder().encode(`${challenge}.`);
  const buffer = new Uint8Array(prefix.length + 16);
  buffer.set(prefix);
  for (let counter = 0; counter <= MAX_COUNTER; counter += 1) {
    const digits = String(counter);
    for (let i = 0; i < digits.length; i += 1) buffer[prefix.length + i] = digits.charCodeAt(i);
    const hash = sodium.crypto_hash_sha256(buffer.subarray(0, prefix.length + digits.length));
    if (leadingZeroBits(hash) >= difficulty) return `${challenge}.${digits}`;
    if ((counter + 1) % REPORT_EVERY === 0) onProgress(counter + 1);
  }
  throw new Error('no counter meets this difficulty');
}
