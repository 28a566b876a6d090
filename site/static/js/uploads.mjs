// The evidence files of a report that is already stored: sent one at a time by
// upload-worker.mjs (which encrypts and PUTs), with a progress bar, bytes, speed, time left,
// a cancel button and, when the connection is lost, "retry now". The page warns before it
// is closed while a file is on its way. Nothing is kept anywhere but in this page's memory.
// Every word comes from the #uploads section's data-msg attributes, in the page's language.

import { storedSize } from './attachment.mjs';
import { afterSodium } from './sodium.mjs';

const SPEED_WINDOW_MS = 5000;
// How long a cancelled file's worker may take to let go of it before it is ended instead.
const LET_GO_MS = 3000;

// One upload worker for the page (issue 15), started ahead, once a file is chosen and the
// page's own libsodium has loaded (warmUploadWorker), so that its script and libsodium are
// in before "send"; it sends every file of the report and of later follow-ups. A file sent
// while it is busy with another run's (a second follow-up's) gets a worker of its own, ended
// after that file. A worker that fails is ended; the next file starts a new one.
// {worker, busy, cancelling (a promise while it lets go of a cancelled file)}
let shared = null;
let jobs = 0;

function startWorker() {
  return new Worker(new URL('./upload-worker.mjs', import.meta.url), { type: 'module' });
}

function startShared() {
  const entry = { worker: startWorker(), busy: false, cancelling: null };
  shared = entry;
  // A worker that failed to load is forgotten; the next file starts a new one.
  entry.worker.addEventListener('error', (event) => {
    event.preventDefault();
    if (!entry.busy) release(entry, false);
  });
  return entry;
}

/** Start the upload worker once the page is ready for it; nothing if it runs already. */
export function warmUploadWorker() {
  afterSodium(() => {
    if (!shared) startShared();
  });
}

/** A worker for one file: the page's own when it is free, else one of its own. */
async function acquire() {
  while (shared?.cancelling) await shared.cancelling;
  const entry = shared ?? startShared();
  if (!entry.busy) {
    entry.busy = true;
    return entry;
  }
  return { worker: startWorker(), busy: true, cancelling: null, own: true };
}

/** The worker is done with its file: free for the next, or ended (its own, or unhealthy). */
function release(entry, healthy) {
  if (healthy && !entry.own) {
    entry.busy = false;
    return;
  }
  if (shared === entry) shared = null;
  entry.worker.terminate();
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? '');
}

/** "1,5 MB" in the page's language. */
export function formatBytes(bytes) {
  const lang = document.documentElement.lang || undefined;
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(value)} ${units[unit]}`;
}

function formatDuration(seconds) {
  const lang = document.documentElement.lang || undefined;
  const [value, unit] = seconds < 90 ? [Math.max(1, Math.round(seconds)), 'second']
    : seconds < 5400 ? [Math.round(seconds / 60), 'minute'] : [Math.round(seconds / 3600), 'hour'];
  return new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
}

// The cancel functions of the files now on their way, and of the runs whose next files wait.
const running = new Set();

/** Whether any file is on its way. */
export function uploading() {
  return running.size > 0;
}

/** Cancel every file on its way and every file still waiting ("close and forget"). */
export function cancelUploads() {
  for (const cancel of [...running]) cancel();
}

function warnBeforeLeaving(event) {
  event.preventDefault();
  event.returnValue = ''; // older browsers need it set to show their own warning
}

/**
 * Send every file of `files` ({file, id, key}) of the report `reportId`, with the token's
 * `authorization` header; show it all in `section` (the #uploads element of the panel).
 */
export async function sendFiles(section, { files, reportId, authorization }) {
  const d = section.dataset;
  const list = section.querySelector('#upload-list');
  const summary = section.querySelector('#uploads-status');
  const template = section.querySelector('#upload-template');
  section.hidden = false;
  const rows = files.map(({ file }) => {
    const row = template.content.firstElementChild.cloneNode(true);
    row.querySelector('[data-name]').textContent = file.name;
    row.querySelector('[data-detail]').textContent = fill(d.msgWaiting, { total: formatBytes(file.size) });
    list.append(row);
    return row;
  });
  window.addEventListener('beforeunload', warnBeforeLeaving);
  summary.textContent = d.msgSending;
  let sent = 0;
  let stopped = false;
  const stop = () => { stopped = true; };
  running.add(stop);
  try {
    for (let i = 0; i < files.length; i += 1) {
      if (stopped) {
        rows[i].dataset.state = 'cancelled';
        rows[i].querySelector('[data-state-text]').textContent = d.msgCancelled;
        files[i].key.fill(0);
        continue;
      }
      const ok = await sendOne(d, rows[i], files[i], { reportId, authorization }, () => stopped);
      if (ok) sent += 1;
    }
  } finally {
    running.delete(stop);
    if (!uploading()) window.removeEventListener('beforeunload', warnBeforeLeaving);
  }
  summary.textContent = sent === files.length ? d.msgAllDone : fill(d.msgSomeMissing, {
    sent: String(sent), count: String(files.length),
  });
  section.dataset.state = sent === files.length ? 'done' : 'incomplete';
}

async function sendOne(d, row, { file, id, key }, { reportId, authorization }, stopped) {
  const bar = row.querySelector('progress');
  const detail = row.querySelector('[data-detail]');
  const state = row.querySelector('[data-state-text]');
  const cancel = row.querySelector('[data-cancel]');
  const retry = row.querySelector('[data-retry]');
  const total = storedSize(file.size);
  const samples = []; // [time, bytes] of the last few seconds, for the speed
  bar.max = total;
  bar.value = 0;
  row.dataset.state = 'sending';
  cancel.hidden = false;
  state.textContent = d.msgEncrypting;
  const entry = await acquire();
  if (stopped()) { // all cancelled ("close and forget") while a worker was found
    release(entry, true);
    key.fill(0);
    cancel.hidden = true;
    state.textContent = d.msgCancelled;
    row.dataset.state = 'cancelled';
    return false;
  }
  const { worker } = entry;
  jobs += 1;
  const job = jobs;
  return new Promise((resolve) => {
    const listening = new AbortController();
    let shown = false; // the row has its outcome
    let letGo = null;
    let freed = () => {};
    // The worker has answered for this file (or failed): it may take the next.
    const free = (healthy) => {
      listening.abort();
      clearTimeout(letGo);
      release(entry, healthy);
      entry.cancelling = null;
      freed();
    };
    const end = (ok, stateText, rowState) => {
      if (shown) return;
      shown = true;
      running.delete(cancelThis);
      cancel.hidden = true;
      retry.hidden = true;
      state.textContent = stateText;
      row.dataset.state = rowState;
      resolve(ok);
    };
    const progress = (sentBytes) => {
      const now = performance.now();
      samples.push([now, sentBytes]);
      while (samples.length > 2 && now - samples[0][0] > SPEED_WINDOW_MS) samples.shift();
      bar.value = sentBytes;
      const shownBytes = Math.min(file.size, Math.round((sentBytes / total) * file.size));
      const values = {
        sent: formatBytes(shownBytes), total: formatBytes(file.size), speed: '', left: '',
      };
      const [t0, b0] = samples[0];
      const seconds = (now - t0) / 1000;
      if (seconds >= 1 && sentBytes > b0) {
        const speed = (sentBytes - b0) / seconds;
        values.speed = fill(d.msgSpeed, { speed: formatBytes(speed) });
        values.left = fill(d.msgLeft, { time: formatDuration((total - sentBytes) / speed) });
      }
      detail.textContent = fill(d.msgProgress, values).replace(/\s*·\s*(·\s*)*$/, '');
    };
    const { signal } = listening;
    worker.addEventListener('message', ({ data }) => {
      if (!data || data.job !== job) return;
      if (data.type === 'progress') {
        if (shown) return;
        state.textContent = d.msgUploading;
        progress(data.sent);
      } else if (data.type === 'waiting') {
        if (shown) return;
        state.textContent = data.offline ? d.msgOffline : d.msgRetrying;
        retry.hidden = !data.offline;
        row.dataset.state = data.offline ? 'offline' : 'retrying';
      } else if (data.type === 'resumed') {
        if (shown) return;
        state.textContent = d.msgUploading;
        retry.hidden = true;
        row.dataset.state = 'sending';
        row.dataset.resumed = 'true';
      } else if (data.type === 'done') {
        if (!shown) {
          bar.value = total;
          detail.textContent = formatBytes(file.size);
        }
        end(true, d.msgFileDone, 'done');
        free(true);
      } else {
        end(false, data.type === 'cancelled' ? d.msgCancelled : d.msgFileFailed,
          data.type === 'cancelled' ? 'cancelled' : 'failed');
        free(true);
      }
    }, { signal });
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      end(false, d.msgFileFailed, 'failed');
      free(false);
    }, { signal });
    // Cancel: the row says so at once; the worker stops, wipes the file's key and answers
    // "cancelled", or is ended if it does not in time. The next file waits for that.
    const cancelThis = () => {
      if (shown) return;
      end(false, d.msgCancelled, 'cancelled');
      entry.cancelling = new Promise((done) => { freed = done; });
      letGo = setTimeout(() => free(false), LET_GO_MS);
      worker.postMessage({ type: 'cancel', job });
    };
    running.add(cancelThis);
    cancel.onclick = cancelThis;
    retry.onclick = () => {
      retry.hidden = true;
      state.textContent = d.msgRetrying;
      worker.postMessage({ type: 'retry', job });
    };
    // The file (a reference, not its bytes) and a copy of its key; the page's is wiped now.
    worker.postMessage({
      type: 'file', job, file, reportId, fileId: id, key, authorization,
    });
    key.fill(0);
  });
}
