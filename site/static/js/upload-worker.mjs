// Evidence files, encrypted and uploaded straight to storage (docs/spec/upload-v1.md), one
// at a time: for each, a grant, then part after part: read one chunk of the File, encrypt it
// (attachment.mjs), copy it into the one part buffer, and when the buffer is full PUT it to
// its granted URL; only once that PUT has answered is the next chunk read. So the worker
// holds about one part, whatever the file's size. A failed PUT is sent again from the
// same buffer with backoff (finished parts never again: their ETags stay in memory), an
// expired grant is renewed, and then the parts are joined. Nothing is written to any storage.
// The page starts this worker ahead (uploads.mjs) and gives it every file of the report and
// of later follow-ups (issue 15): a file's key and encryption state are wiped when the file
// is done, failed or cancelled, so none outlives its file here.
//
// In:  {type: 'file', job, file, reportId, fileId, key, authorization} per file;
//      {type: 'retry', job} to cut a wait; {type: 'cancel', job} to give the file up.
// Out: {job, type: 'progress', sent, total}, {job, type: 'waiting', offline},
//      {job, type: 'resumed'}, and one of {job, type: 'done'}, {job, type: 'cancelled'},
//      {job, type: 'failed', error}.

import sodium from './vendor/libsodium-wrappers.mjs';
import { ABYTES, CHUNK, encryptor, storedSize } from './attachment.mjs';

const UPLOADS = '/api/uploads';
const BACKOFF_MS = [1000, 2000, 4000, 8000];
const STEADY_MS = 10000;
const RENEW_MARGIN_MS = 60 * 1000;

sodium.ready.catch(() => {}); // compile now, in the idle time; a failure is answered below

class Refused extends Error {
  constructor(status, code) {
    super(`refused: ${status} ${code}`);
    this.status = status;
    this.code = code;
  }
}

class Cancelled extends Error {}

// The file being sent: {job, cancelled, wake (cuts a wait short), stop (aborts its requests)}.
let current = null;
const queue = []; // files given while another is on its way, in order
let draining = false;

self.addEventListener('message', ({ data }) => {
  if (!data) return;
  if (data.type === 'retry') {
    if (current?.job === data.job) current.wake?.();
  } else if (data.type === 'cancel') {
    cancel(data.job);
  } else if (data.type === 'file') {
    queue.push(data);
    drain();
  }
});

function cancel(job) {
  const waiting = queue.findIndex((item) => item.job === job);
  if (waiting >= 0) {
    const [item] = queue.splice(waiting, 1);
    item.key.fill(0);
    self.postMessage({ job, type: 'cancelled' });
  } else if (current?.job === job) {
    current.cancelled = true;
    current.stop.abort();
    current.wake?.();
  }
}

async function drain() {
  if (draining) return;
  draining = true;
  while (queue.length) {
    const item = queue.shift();
    const { job } = item;
    current = { job, cancelled: false, wake: null, stop: new AbortController() };
    const say = (message) => self.postMessage({ job, ...message });
    try {
      await upload(item, current, say);
      say({ type: 'done' });
    } catch (error) {
      if (error instanceof Cancelled) say({ type: 'cancelled' });
      else say({ type: 'failed', error: error instanceof Refused ? error.code : 'network' });
    } finally {
      item.key.fill(0);
      current = null;
    }
  }
  draining = false;
}

function pause(task, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      task.wake = null;
      resolve();
    }
    task.wake = done;
  });
}

/** Stop here if the file was given up. */
function check(task) {
  if (task.cancelled) throw new Cancelled();
}

/** Run `step` until it succeeds; network errors (and 5xx) wait and try again, forever. */
async function persist(task, say, step) {
  for (let failures = 0; ; failures += 1) {
    check(task);
    try {
      const result = await step();
      check(task);
      if (failures > 0) say({ type: 'resumed' });
      return result;
    } catch (error) {
      check(task);
      if (error instanceof Refused && error.status < 500) throw error;
      const delay = failures < BACKOFF_MS.length ? BACKOFF_MS[failures] : STEADY_MS;
      say({ type: 'waiting', offline: failures + 1 >= BACKOFF_MS.length });
      await pause(task, delay);
    }
  }
}

async function api(task, url, authorization, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { Authorization: authorization, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
    signal: task.stop.signal, // aborted if the file is given up
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
function put(task, url, bytes, onBytes) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    const { signal } = task.stop; // aborted if the file is given up
    const stop = () => request.abort();
    signal.addEventListener('abort', stop, { once: true });
    request.addEventListener('loadend', () => signal.removeEventListener('abort', stop));
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
  try {
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
  } finally {
    await reader.cancel().catch(() => {}); // also when the file is given up mid-way
  }
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

/** Send one file; its encryption state is wiped however it ends. */
async function upload({ file, reportId, fileId, key, authorization }, task, say) {
  await sodium.ready;
  check(task);
  const seal = encryptor(sodium, { key, reportId, fileId });
  sodium.memzero(key);
  try {
    await sendSealed(file, seal, { fileId, authorization }, task, say);
  } finally {
    seal.wipe();
  }
}

async function sendSealed(file, seal, { fileId, authorization }, task, say) {
  const total = storedSize(file.size);
  const keepTrying = (step) => persist(task, say, step);
  let grant = await keepTrying(() => api(task, UPLOADS, authorization, { files: [{ id: fileId, size: total }] }));
  let entry = grant.files[0];
  const upload = entry.upload;
  const expires = () => Date.parse(grant.expires);
  const renew = async () => {
    grant = await keepTrying(() => api(task, `${UPLOADS}/renew`, authorization, { id: fileId, upload }));
    entry = grant.files[0];
  };
  const etags = []; // finished parts, kept in memory only
  const pieces = objectPieces(file, seal);
  let piece = new Uint8Array(0);
  let sent = 0;
  const buffer = new Uint8Array(grant.part_size);
  const carry = new Uint8Array(CHUNK + ABYTES);
  try {
    for (const { number, size } of entry.parts) {
      // Fill this part from the stream of sealed chunks (a chunk may straddle two parts).
      let filled = 0;
      while (filled < size) {
        if (piece.length === 0) {
          const next = await pieces.next();
          check(task);
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
      const etag = await keepTrying(async () => {
        if (Date.now() > expires() - RENEW_MARGIN_MS) await renew();
        const url = entry.parts.find((p) => p.number === number).url;
        try {
          return await put(task, url, bytes, (loaded) => {
            say({ type: 'progress', sent: sent + Math.min(loaded, size), total });
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
      say({ type: 'progress', sent, total });
    }
  } finally {
    await pieces.return(); // the file's reader is let go, also when it is given up
  }
  await keepTrying(async () => {
    try {
      await api(task, `${UPLOADS}/complete`, authorization, { id: fileId, upload, parts: etags });
    } catch (error) {
      if (error instanceof Refused && error.code === 'file_exists') return; // an answer was lost
      throw error;
    }
  });
}
