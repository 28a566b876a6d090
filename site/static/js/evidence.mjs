// The form's evidence files: chosen with the file input (several at a time, several times),
// listed with name and size, each with a remove button. The files stay File objects in this
// page's memory until they are sent; nothing is read before the report is stored.
// Every word comes from the #evidence field's data-msg attributes, in the page's language.

import { CHUNK, storedSize } from './attachment.mjs';
import { newReportId } from './envelope.mjs';
import { formatBytes, warmUploadWorker } from './uploads.mjs';

const chosen = []; // File objects, in the order chosen
const MAX_NAME_BYTES = 1024; // the manifest's limits (docs/spec/attachment-v1.md section 4)
const MAX_TYPE_BYTES = 255;

/** Text cut to at most `limit` bytes of UTF-8, never inside a character. */
function clip(text, limit) {
  let out = text;
  while (new TextEncoder().encode(out).length > limit) out = Array.from(out).slice(0, -1).join('');
  return out;
}

/**
 * The chosen files, each with a random id and its own key, and the manifest that lists them
 * (the `attachments` member of a report or a follow-up).
 */
export function sealedEvidence(lib) {
  const files = chosenFiles().map((file) => ({
    file, id: newReportId(lib), key: lib.crypto_secretstream_xchacha20poly1305_keygen(),
  }));
  const manifest = files.map(({ file, id, key }) => ({
    id,
    name: clip(file.name, MAX_NAME_BYTES),
    type: clip(file.type, MAX_TYPE_BYTES),
    size: file.size,
    chunk: CHUNK,
    key: lib.to_base64(key, lib.base64_variants.ORIGINAL),
    sha256: '', // the message is sealed before the files are read (upload-v1 section 2)
  }));
  return { files, manifest };
}

function refresh(form) {
  const field = form.querySelector('#evidence-field');
  const list = field.querySelector('#evidence-list');
  const template = field.querySelector('#evidence-template');
  list.replaceChildren(...chosen.map((file, index) => {
    const item = template.content.firstElementChild.cloneNode(true);
    item.querySelector('[data-name]').textContent = file.name;
    item.querySelector('[data-size]').textContent = formatBytes(file.size);
    const remove = item.querySelector('[data-remove-file]');
    remove.dataset.index = String(index);
    remove.setAttribute('aria-label', `${remove.textContent.trim()}: ${file.name}`);
    return item;
  }));
  list.hidden = chosen.length === 0;
}

/** Wire the file input and the list's remove buttons. */
export function setUpEvidence(form) {
  const field = form.querySelector('#evidence-field');
  const input = field.querySelector('#evidence');
  const error = field.querySelector('#evidence-error');
  const d = field.dataset;
  input.addEventListener('change', () => {
    const refused = [];
    // The build's limits, or less when the case already holds files (setEvidenceRoom).
    const maxFiles = Math.min(Number(d.maxFiles), Number(d.filesLeft ?? Infinity));
    const maxCase = Math.min(Number(d.maxCaseBytes), Number(d.bytesLeft ?? Infinity));
    let used = chosen.reduce((sum, file) => sum + storedSize(file.size), 0);
    for (const file of input.files) {
      if (file.size > Number(d.maxBytes)) refused.push(d.msgTooLarge.replace('{name}', file.name));
      else if (chosen.length >= maxFiles) refused.push(d.msgTooMany);
      else if (used + storedSize(file.size) > maxCase) refused.push(d.msgTooMuch);
      else {
        chosen.push(file);
        used += storedSize(file.size);
      }
    }
    input.value = ''; // the list below is what will be sent
    error.textContent = [...new Set(refused)].join(' ');
    refresh(form);
    // Files will be sent: their worker loads now, not after "send" (issue 15).
    if (chosen.length) warmUploadWorker();
  });
  field.querySelector('#evidence-list').addEventListener('click', (event) => {
    const remove = event.target.closest('[data-remove-file]');
    if (!remove) return;
    chosen.splice(Number(remove.dataset.index), 1);
    error.textContent = '';
    refresh(form);
    input.focus();
  });
}

/**
 * What the case can still take, as the server counts it (`uploads_left` of the mailbox):
 * `{files, bytes}`, bytes encrypted. The report form has the whole limits of the build.
 */
export function setEvidenceRoom(form, left) {
  const { dataset } = form.querySelector('#evidence-field');
  for (const [name, value] of [['filesLeft', left?.files], ['bytesLeft', left?.bytes]]) {
    if (Number.isSafeInteger(value) && value >= 0) dataset[name] = String(value);
    else delete dataset[name];
  }
}

/** The files to send, in order. */
export function chosenFiles() {
  return chosen.slice();
}

export function clearEvidence(form) {
  chosen.length = 0;
  form.querySelector('#evidence-error').textContent = '';
  refresh(form);
}
