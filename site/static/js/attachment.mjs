// Evidence files, format v1 (docs/spec/attachment-v1.md), in the browser, with libsodium.js.
//
// One file = one object: the 24-byte crypto_secretstream_xchacha20poly1305 header, then
// chunks of CHUNK + 17 bytes. Every plaintext chunk is CHUNK bytes; the file's tail is padded
// with sodium_pad to a whole chunk and pushed with TAG_FINAL, the others with TAG_MESSAGE.
// Every chunk's associated data binds the report id and the file id. Both directions work
// one chunk at a time, so a file of any size never sits in memory.
// `sodium` is always the ready libsodium-wrappers(-sumo) object, passed in by the caller.

export const CHUNK = 1024 * 1024;
export const MIN_CHUNK = 1024;
export const HEADER_BYTES = 24;
export const ABYTES = 17;
const ID_RE = /^[0-9A-HJKMNP-TV-Z]{16}$/;

/** A file that cannot be read; `reason` is the spec's name for the check that failed. */
export class AttachmentError extends Error {
  constructor(reason, message) {
    super(message);
    this.name = 'AttachmentError';
    this.reason = reason;
  }
}

export function associatedData(sodium, reportId, fileId) {
  if (!ID_RE.test(reportId) || !ID_RE.test(fileId)) throw new TypeError('bad report or file id');
  return sodium.from_string(`wbs/v1/attachment\u0000${reportId}\u0000${fileId}`);
}

/** Chunks of a file of `size` bytes: the full ones, then the padded tail (maybe empty). */
export function chunkCount(size, chunk = CHUNK) {
  return Math.floor(size / chunk) + 1;
}

/** Bytes of the stored object. */
export function storedSize(size, chunk = CHUNK) {
  return HEADER_BYTES + chunkCount(size, chunk) * (chunk + ABYTES);
}

function checkChunk(chunk) {
  if (!Number.isInteger(chunk) || chunk < MIN_CHUNK || chunk > CHUNK || (chunk & (chunk - 1))) {
    throw new TypeError('chunk must be a power of two from 1 KiB to 1 MiB');
  }
}

/**
 * Encrypt a file chunk by chunk. `push(data, last)` takes exactly `chunk` bytes, or, for the
 * last call, fewer (0 to chunk - 1: the file's tail), and returns the sealed chunk.
 * `pushView(data, last)` is the same but returns, for every chunk but the last, a view of
 * libsodium's memory that the next call overwrites: for a caller that copies it on at once,
 * before any await (the memory also moves when it grows), as the upload worker does.
 * After the last chunk, or `wipe()` (a file given up), the key's state and the buffers in
 * libsodium's memory are zeroed and freed: a worker that goes on to another file keeps
 * nothing of this one's key (the wrapper's init_push frees its copy of the key unwiped,
 * and never frees the state, hence libsodium's own calls here).
 */
export function encryptor(sodium, { key, reportId, fileId, chunk = CHUNK }) {
  checkChunk(chunk);
  const ad = associatedData(sodium, reportId, fileId);
  const lib = sodium.libsodium;
  if (key.length !== lib._crypto_secretstream_xchacha20poly1305_keybytes()) {
    throw new TypeError('bad key length');
  }
  // libsodium's own crypto_secretstream_xchacha20poly1305_push, called on buffers in its
  // memory allocated once per file. The wrapper's push allocates, copies in, allocates a new
  // output array and copies out on every call: for 1 MiB chunks that churn takes about a
  // fifth of its time, and leaves a MiB of garbage a chunk.
  const stateBytes = lib._crypto_secretstream_xchacha20poly1305_statebytes();
  const sizes = [stateBytes, key.length, HEADER_BYTES, ad.length, chunk, chunk + ABYTES];
  const addresses = sizes.map((n) => lib._malloc(n));
  if (!addresses.every(Boolean)) {
    for (const at of addresses.filter(Boolean)) lib._free(at);
    throw new Error('out of memory');
  }
  const [state, keyAt, headerAt, adAt, plainAt, sealedAt] = addresses;
  let live = [[state, stateBytes], [plainAt, chunk], [sealedAt, chunk + ABYTES], [adAt, ad.length]];
  const wipe = () => {
    for (const [at, n] of live) {
      lib.HEAPU8.fill(0, at, at + n);
      lib._free(at);
    }
    live = [];
  };
  lib.HEAPU8.set(key, keyAt);
  const started = lib._crypto_secretstream_xchacha20poly1305_init_push(state, headerAt, keyAt);
  lib.HEAPU8.fill(0, keyAt, keyAt + key.length);
  lib._free(keyAt);
  const header = lib.HEAPU8.slice(headerAt, headerAt + HEADER_BYTES);
  lib._free(headerAt);
  if (started !== 0) {
    wipe();
    throw new Error('crypto_secretstream_xchacha20poly1305_init_push failed');
  }
  lib.HEAPU8.set(ad, adAt);
  let done = false;
  function pushView(data, last) {
    if (done || live.length === 0) throw new TypeError('the file is already finished');
    if (last ? data.length >= chunk : data.length !== chunk) throw new TypeError('bad chunk length');
    done = last;
    const plain = last ? sodium.pad(data, chunk) : data; // pad may grow libsodium's memory
    lib.HEAPU8.set(plain, plainAt);
    const tag = last
      ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
      : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    // Lengths are 64-bit in C: each is passed as its low and high 32 bits, as the wrapper does.
    if (lib._crypto_secretstream_xchacha20poly1305_push(
      state, sealedAt, 0, plainAt, chunk, 0, adAt, ad.length, 0, tag) !== 0) {
      throw new Error('crypto_secretstream_xchacha20poly1305_push failed');
    }
    const sealed = lib.HEAPU8.subarray(sealedAt, sealedAt + chunk + ABYTES);
    if (!last) return sealed;
    const copy = sealed.slice();
    wipe();
    return copy;
  }
  return {
    header,
    pushView,
    push: (data, last) => pushView(data, last).slice(),
    wipe,
  };
}

/**
 * Decrypt an object fed in pieces of any size (as a download delivers them), checking
 * everything the spec lists. `update(bytes)` returns the plaintext chunks it completed;
 * `finish()` must be called at the end: only when it returns is the file complete.
 * `entry` is the manifest's: {id, size, chunk, key, sha256 (hex)}.
 */
export function decryptor(sodium, { reportId, entry }) {
  const { size, chunk, key, sha256 } = entry;
  checkChunk(chunk);
  const ad = associatedData(sodium, reportId, entry.id);
  const count = chunkCount(size, chunk);
  const sealedBytes = chunk + ABYTES;
  const hash = sodium.crypto_hash_sha256_init();
  let state = null;
  let index = 0; // chunks decrypted so far
  let buffer = new Uint8Array(0);
  const fail = (reason, problem) => { throw new AttachmentError(reason, `attachment ${entry.id}: ${problem}`); };

  function open(sealed) {
    index += 1;
    const result = sodium.crypto_secretstream_xchacha20poly1305_pull(state, sealed, ad);
    if (!result) fail('authentication', `chunk ${index} of ${count} does not authenticate`);
    const final = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    const message = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    if (index < count) {
      if (result.tag !== message) fail('tag', `chunk ${index} of ${count} ends the stream too early`);
      sodium.crypto_hash_sha256_update(hash, result.message);
      return result.message;
    }
    if (result.tag !== final) fail('tag', 'the last chunk has no final tag: the stream was cut');
    let tail;
    try {
      tail = sodium.unpad(result.message, chunk);
    } catch {
      fail('padding', "the last chunk's padding is invalid");
    }
    if (tail.length !== size % chunk) fail('size', `it does not hold the manifest's ${size} bytes`);
    sodium.crypto_hash_sha256_update(hash, tail);
    return tail;
  }

  return {
    update(bytes) {
      const joined = new Uint8Array(buffer.length + bytes.length);
      joined.set(buffer);
      joined.set(bytes, buffer.length);
      let at = 0;
      if (state === null) {
        if (joined.length < HEADER_BYTES) {
          buffer = joined;
          return [];
        }
        state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(joined.subarray(0, HEADER_BYTES), key);
        at = HEADER_BYTES;
      }
      const out = [];
      while (joined.length - at >= sealedBytes || (index === count && joined.length > at)) {
        if (index === count) fail('length', `data follows the final chunk ${count}`);
        out.push(open(joined.subarray(at, at + sealedBytes)));
        at += sealedBytes;
      }
      buffer = joined.slice(at);
      return out;
    },
    finish() {
      if (state === null) fail('header', `the object is shorter than its ${HEADER_BYTES}-byte header`);
      if (buffer.length) fail('length', `chunk ${index + 1} of ${count} is cut short`);
      if (index < count) fail('truncated', `truncated: it ends before chunk ${index + 1} of ${count}`);
      const digest = sodium.to_hex(sodium.crypto_hash_sha256_final(hash));
      if (sha256 && digest !== sha256) {
        fail('sha256', "its content does not match the manifest's SHA-256");
      }
      return digest;
    },
  };
}
