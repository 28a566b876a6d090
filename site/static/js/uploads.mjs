// The evidence files of a report that is already stored: sent one at a time, each by its own
// upload-worker.mjs (which encrypts and PUTs), with a progress bar, bytes, speed, time left,
// a cancel button and, when the connection is lost, "retry now". The page warns before it
// is closed while a file is on its way. Nothing is kept anywhere but in this page's memory.
// Every word comes from the #uploads section's data-msg attributes, in the page's language.

import { storedSize } from './attachment.mjs';

const SPEED_WINDOW_MS = 5000;

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
      const ok = await sendOne(d, rows[i], files[i], { reportId, authorization });
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

function sendOne(d, row, { file, id, key }, { reportId, authorization }) {
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
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./upload-worker.mjs', import.meta.url), { type: 'module' });
    const end = (ok, stateText, rowState) => {
      running.delete(cancelThis);
      worker.terminate();
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
      const shown = Math.min(file.size, Math.round((sentBytes / total) * file.size));
      const values = { sent: formatBytes(shown), total: formatBytes(file.size), speed: '', left: '' };
      const [t0, b0] = samples[0];
      const seconds = (now - t0) / 1000;
      if (seconds >= 1 && sentBytes > b0) {
        const speed = (sentBytes - b0) / seconds;
        values.speed = fill(d.msgSpeed, { speed: formatBytes(speed) });
        values.left = fill(d.msgLeft, { time: formatDuration((total - sentBytes) / speed) });
      }
      detail.textContent = fill(d.msgProgress, values).replace(/\s*·\s*(·\s*)*$/, '');
    };
    worker.addEventListener('message', ({ data }) => {
      if (data.type === 'progress') {
        state.textContent = d.msgUploading;
        progress(data.sent);
      } else if (data.type === 'waiting') {
        state.textContent = data.offline ? d.msgOffline : d.msgRetrying;
        retry.hidden = !data.offline;
        row.dataset.state = data.offline ? 'offline' : 'retrying';
      } else if (data.type === 'resumed') {
        state.textContent = d.msgUploading;
        retry.hidden = true;
        row.dataset.state = 'sending';
        row.dataset.resumed = 'true';
      } else if (data.type === 'done') {
        bar.value = total;
        detail.textContent = formatBytes(file.size);
        end(true, d.msgFileDone, 'done');
      } else {
        end(false, d.msgFileFailed, 'failed');
      }
    });
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      end(false, d.msgFileFailed, 'failed');
    });
    const cancelThis = () => end(false, d.msgCancelled, 'cancelled');
    running.add(cancelThis);
    cancel.onclick = cancelThis;
    retry.onclick = () => {
      retry.hidden = true;
      state.textContent = d.msgRetrying;
      worker.postMessage({ type: 'retry' });
    };
    worker.postMessage({ file, reportId, fileId: id, key, authorization }); // copies the key
    key.fill(0);
  });
}
