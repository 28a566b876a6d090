// The "save this now" step after a report is sent: the receipt code shown once, big and
// grouped, with copy, download (a small .txt file) and print. Nothing is stored: the code
// lives in this page until the reporter says it is saved, then it is removed.
// Every word comes from the panel's data-msg attributes, in the page's language.

import { formatId } from './envelope.mjs';

const REVOKE_AFTER_MS = 1000;

let current = null; // {code, reportId} while the panel shows a code
const urls = new Set();

function statusAddress(panel) {
  return new URL(panel.dataset.statusHref, window.location.href).href;
}

function say(panel, message) {
  panel.querySelector('#receipt-feedback').textContent = message;
}

function receiptText(panel) {
  const d = panel.dataset;
  return [
    d.fileTitle,
    '',
    `${d.fileCode}: ${current.code}`,
    `${d.fileNumber}: ${formatId(current.reportId)}`,
    `${d.fileAddress}: ${statusAddress(panel)}`,
    '',
    d.fileInstructions,
    '',
  ].join('\r\n');
}

function revoke(url) {
  if (urls.delete(url)) URL.revokeObjectURL(url);
}

function revokeAll() {
  urls.forEach(revoke);
}

async function copy(panel) {
  try {
    await navigator.clipboard.writeText(current.code);
    say(panel, panel.dataset.msgCopied);
  } catch {
    say(panel, panel.dataset.msgCopyFailed);
  }
}

function download(panel) {
  const url = URL.createObjectURL(new Blob([receiptText(panel)], { type: 'text/plain;charset=utf-8' }));
  urls.add(url);
  const link = document.createElement('a');
  link.href = url;
  link.download = panel.dataset.fileName;
  link.click();
  say(panel, panel.dataset.msgDownloaded);
  setTimeout(() => revoke(url), REVOKE_AFTER_MS); // long enough for the download to start
}

/** Remove the code from the page and from memory: the reporter has saved it. */
function forget(panel) {
  current = null;
  revokeAll();
  for (const id of ['#receipt-code', '#registration-number', '#status-address']) {
    panel.querySelector(id).textContent = '';
  }
  panel.querySelector('#receipt-saved').checked = false;
  say(panel, '');
  panel.querySelector('#receipt').hidden = true;
  const gone = panel.querySelector('#receipt-gone');
  gone.hidden = false;
  gone.focus();
}

/** Wire the panel's controls once. */
export function setUpReceiptPanel(panel) {
  const done = panel.querySelector('#receipt-done');
  panel.querySelector('#receipt-copy').addEventListener('click', () => copy(panel));
  panel.querySelector('#receipt-download').addEventListener('click', () => download(panel));
  panel.querySelector('#receipt-print').addEventListener('click', () => window.print());
  panel.querySelector('#receipt-saved').addEventListener('change', (event) => {
    done.disabled = !event.target.checked;
  });
  done.addEventListener('click', () => forget(panel));
  window.addEventListener('pagehide', revokeAll);
}

/** Show a new report's receipt code and registration number. */
export function showReceipt(panel, { code, reportId }) {
  current = { code, reportId };
  panel.querySelector('#receipt-code').textContent = code;
  panel.querySelector('#registration-number').textContent = formatId(reportId);
  panel.querySelector('#status-address').textContent = statusAddress(panel);
  panel.querySelector('#receipt-done').disabled = true;
  panel.querySelector('#receipt').hidden = false;
  panel.querySelector('#receipt-gone').hidden = true;
  panel.hidden = false;
  // Focus the panel (its name, "your report has been sent", is read) without letting the
  // browser centre it: a tall panel centred puts the code above the screen and the
  // registration number, which looks like a code, first in view. The panel's top is brought
  // to the top of the screen, or, if the code would still be below it, the receipt box.
  panel.focus({ preventScroll: true });
  panel.scrollIntoView({ block: 'start' });
  const shown = panel.querySelector('#receipt-code');
  if (shown.getBoundingClientRect().bottom > window.innerHeight) {
    panel.querySelector('#receipt').scrollIntoView({ block: 'start' });
  }
}
