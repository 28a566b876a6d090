// One evidence file, encrypted and uploaded straight to storage (docs/spec/upload-v1.md):
// a grant for the file, then part after part: read one chunk of the File, encrypt it
// (attachment.mjs), copy it into the one part buffer, and when the buffer is full PUT it to
// its granted URL; only once that PUT has answered is the next chunk read. So the worker
// holds about one part, whatever the file's size. A failed PUT is sent again from the
// same buffer with backoff (finished parts never again: their ETags stay in memory), an
// expired grant is renewed, and then the parts are joined. Nothing is written to any storage.
//
// In:  {file, reportId, fileId, key, authorization} once; then {type: 'retry'} to cut a wait.
// Out: {type: 'progress', sent, total}, {type: 'waiting', offline}, {type: 'resumed'},
//      {type: 'done'},
//      {type: 'failed', error}.

import sodium from './vendor/libsodium-wrappers.mjs';
import { ABYTES, CHUNK, encryptor, storedSize } from './attachment.mjs';

const UPLOADS = '/api/uploads';
const BACKOFF_MS = [1000, 2000, 4000, 8000];
const STEADY_MS = 10000;
const RENEW_MARGIN_MS = 60 * 1000;

class Refused extends Error {
  constructor(status, code) {
    super(`refused: ${status} ${code}`);
    this.status = status;
    this.code = code;
  }
}

let wake = null; // cuts the current wait short ("retry now")

self.addEventListener('message', ({ data }) => {
  if (data && data.type === 'retry') {
    if (wake) wake();
    return;
  }
  upload(data).then(
    () => self.postMessage({ type: 'done' }),
    (error) => self.postMessage({ type: 'failed', error: error instanceof Refused ? error.code : 'network' }),
  );
});

function pause(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      wake = null;
      resolve();
    }
    wake = done;
  });
}

/** Run `step` until it succeeds; network errors (and 5xx) wait and try again, forever. */
async function persist(step) {
  for (let failures = 0; ; failures += 1) {
    try {
      const result = await step();
      if (failures > 0) self.postMessage({ type: 'resumed' });
      return result;
    } catch (error) {
      if (error instanceof Refused && error.status < 500) throw error;
      const delay = failures < BACKOFF_MS.length ? BACKOFF_MS[failures] : STEADY_MS;
      self.postMessage({ type: 'waiting', offline: failures + 1 >= BACKOFF_MS.length });
      await pause(delay);
    }
  }
}

async function api(url, authorization, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { Authorization: authorization, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    // a proxy's page, not the API's JSON
  }
  if (!response.ok) throw new Refused(response.status, answer.error || 'unknown');
  return answer;
}

/** PUT one part; resolves with its ETag. Progress of the bytes goes to `onBytes`. */
function put(url, bytes, onBytes) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', url);
    request.upload.addEventListener('progress', (event) => onBytes(event.loaded));
    request.addEventListener('load', () => {
      const etag = request.getResponseHeader('ETag');
      if (request.status === 200 && etag) {
        resolve(etag);
        return;
      }
      let code = 'unknown';
      try {
        code = JSON.parse(request.responseText).error || code;
      } catch {
        // S3 answers XML
      }
      reject(new Refused(request.status, code));
    });
    request.addEventListener('error', () => reject(new Error('network')));
    request.addEventListener('abort', () => reject(new Error('network')));
    request.addEventListener('timeout', () => reject(new Error('network')));
    request.send(bytes);
  });
}

/**
 * The object's bytes in order: the header, then each sealed chunk, a view of libsodium's
 * memory that the next one overwrites (attachment.mjs, pushView). The file is read as a byte
 * stream into one reused buffer: the browser fills the stream's pipe while the worker
 * encrypts, and no chunk leaves an ArrayBuffer behind for the garbage collector, so memory
 * stays flat whatever the file's size (docs/decisions.md, "Browser upload: measured").
 */
async function* objectPieces(file, seal) {
  yield seal.header;
  let reader;
  try {
    reader = file.stream().getReader({ mode: 'byob' });
  } catch {
    yield* sealedSlices(file, seal); // Blob streams are not byte streams in this browser
    return;
  }
  let buffer = new ArrayBuffer(CHUNK);
  for (let at = 0; ; at += CHUNK) {
    const want = Math.min(CHUNK, file.size - at);
    let filled = 0;
    while (filled < want) {
      const { done, value } = await reader.read(new Uint8Array(buffer, filled, want - filled));
      if (done) throw new Error('the file ended early');
      buffer = value.buffer; // a read takes the buffer and gives it back as a new object
      filled += value.length;
    }
    const last = want < CHUNK;
    yield seal.pushView(new Uint8Array(buffer, 0, want), last);
    if (last) break;
  }
  await reader.cancel();
}

/**
 * The same where Blob streams are not byte streams (Safari until late 2025): one File.slice
 * a chunk, the next read started before this one is sealed. Every read is a new ArrayBuffer,
 * and sealing with `push`, which allocates its output, is what keeps them collected: with
 * the byte stream disabled in Chromium, the worker's heap grew by about 80 MiB at most up to
 * a 4 GiB file this way, but with the file with pushView (+465 MiB for 4 GiB).
 */
async function* sealedSlices(file, seal) {
  const read = (at) => file.slice(at, Math.min(at + CHUNK, file.size)).arrayBuffer();
  let reading = read(0);
  for (let at = 0; ; at += CHUNK) {
    const last = file.size - at < CHUNK;
    const plain = new Uint8Array(await reading);
    if (!last) reading = read(at + CHUNK);
    yield seal.push(plain, last);
    if (last) return;
  }
}

async function upload({ file, reportId, fileId, key, authorization }) {
  await sodium.ready;
  const total = storedSize(file.size);
  const seal = encryptor(sodium, { key, reportId, fileId });
  sodium.memzero(key);
  let grant = await persist(() => api(UPLOADS, authorization, { files: [{ id: fileId, size: total }] }));
  let entry = grant.files[0];
  const upload = entry.upload;
  const expires = () => Date.parse(grant.expires);
  const renew = async () => {
    grant = await persist(() => api(`${UPLOADS}/renew`, authorization, { id: fileId, upload }));
    entry = grant.files[0];
  };
  const etags = []; // finished parts, kept in memory only
  const pieces = objectPieces(file, seal);
  let piece = new Uint8Array(0);
  let sent = 0;
  const buffer = new Uint8Array(grant.part_size);
  const carry = new Uint8Array(CHUNK + ABYTES);
  for (const { number, size } of entry.parts) {
    // Fill this part from the stream of sealed chunks (a chunk may straddle two parts).
    let filled = 0;
    while (filled < size) {
      if (piece.length === 0) {
        const next = await pieces.next();
        if (next.done) throw new Error('the file ended before its grant');
        piece = next.value;
      }
      const take = Math.min(piece.length, size - filled);
      buffer.set(piece.subarray(0, take), filled);
      filled += take;
      piece = piece.subarray(take);
      if (piece.length > 0) {
        // A chunk straddles two parts: its rest waits out the PUT in memory of our own, as the
        // next chunk is sealed where this one is.
        carry.set(piece);
        piece = carry.subarray(0, piece.length);
      }
    }
    const bytes = buffer.subarray(0, size);
    const etag = await persist(async () => {
      if (Date.now() > expires() - RENEW_MARGIN_MS) await renew();
      const url = entry.parts.find((p) => p.number === number).url;
      try {
        return await put(url, bytes, (loaded) => {
          self.postMessage({ type: 'progress', sent: sent + Math.min(loaded, size), total });
        });
      } catch (error) {
        if (error instanceof Refused && error.status === 403) {
          await renew(); // an expired or no longer valid URL: fresh URLs for the same parts
          throw new Error('renewed');
        }
        throw error;
      }
    });
    etags.push({ number, etag });
    sent += size;
    self.postMessage({ type: 'progress', sent, total });
  }
  await persist(async () => {
    try {
      await api(`${UPLOADS}/complete`, authorization, { id: fileId, upload, parts: etags });
    } catch (error) {
      if (error instanceof Refused && error.code === 'file_exists') return; // an answer was lost
      throw error;
    }
  });
}
