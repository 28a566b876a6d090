// Draw a case on the status page: registration number, current status, status history and
// the thread. Text goes in through textContent only; every word comes from the page.

import { formatId } from './envelope.mjs';
import { formatBytes } from './uploads.mjs';

const timeFormat = new Intl.DateTimeFormat(document.documentElement.lang, {
  dateStyle: 'long',
  timeStyle: 'short',
});

function setTime(element, sent) {
  element.dateTime = sent;
  element.textContent = sent ? timeFormat.format(new Date(sent)) : '';
}

function fromTemplate(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

function fill(element, selector, text) {
  const target = element.querySelector(selector);
  target.textContent = text;
  target.hidden = text === '';
}

function statusName(slug) {
  return document.querySelector(`#status-names [data-status="${slug}"]`);
}

function historyItem(sent, label, reason, note) {
  const item = fromTemplate('history-item');
  setTime(item.querySelector('time'), sent);
  item.querySelector('[data-label]').textContent = label;
  fill(item, '[data-reason]', reason);
  item.querySelector('[data-reason-line]').hidden = reason === '';
  fill(item, '[data-note]', note);
  return item;
}

function threadItem(root, entry) {
  const item = fromTemplate('message-item');
  item.classList.add(`from-${entry.from}`);
  const who = entry.from === 'reporter' ? 'whoReporter' : 'whoInspectorate';
  item.querySelector('[data-who]').textContent = root.dataset[who];
  setTime(item.querySelector('time'), entry.sent);
  const strays = item.querySelector('[data-strays]');
  strays.hidden = !entry.strays;
  if (entry.strays) setTime(strays.querySelector('time'), entry.stored);
  const flag = item.querySelector('[data-unverified]');
  flag.hidden = !entry.unverified;
  if (entry.unverified) {
    item.classList.add('unverified');
    flag.textContent = root.dataset.msgUnverified;
  }
  if (entry.message) {
    item.querySelector('[data-text]').textContent = entry.message.text;
    const files = entry.message.files ?? [];
    const list = item.querySelector('[data-files]');
    list.replaceChildren(...files.map((file) => {
      const line = fromTemplate('message-file');
      line.querySelector('[data-name]').textContent = file.name;
      line.querySelector('[data-size]').textContent = formatBytes(file.size);
      return line;
    }));
    list.hidden = files.length === 0;
  } else {
    item.classList.add('unreadable');
    item.querySelector('[data-text]').textContent = root.dataset.msgUnreadable;
  }
  return item;
}

/** Show a case: {reportId, received, thread: {entries, history, status}}. */
export function showCase(root, { reportId, received, thread }) {
  root.querySelector('#case-number').textContent = formatId(reportId);
  setTime(root.querySelector('#case-received'), received);
  const current = statusName(thread.status);
  root.querySelector('#case-status').textContent = current.textContent;
  root.querySelector('#case-status').dataset.status = thread.status;
  root.querySelector('#case-status-about').textContent = current.dataset.about;

  const history = [historyItem(received, root.dataset.msgReceived, '', '')];
  for (const message of thread.history) {
    const label = statusName(message.status).textContent;
    history.push(historyItem(message.sent, label, message.reason, message.text));
  }
  root.querySelector('#history').replaceChildren(...history);

  // Status changes are in the history; one that is not verified is shown with the messages.
  const messages = thread.entries
    .filter((e) => !e.message || e.message.type === 'message' || e.unverified);
  root.querySelector('#thread').replaceChildren(...messages.map((e) => threadItem(root, e)));
  root.querySelector('#thread-empty').hidden = messages.length > 0;
  root.hidden = false;
}

/** Remove every trace of a case from the page. */
export function clearCase(root) {
  root.hidden = true;
  for (const id of ['#case-number', '#case-received', '#case-status', '#case-status-about']) {
    root.querySelector(id).textContent = '';
  }
  root.querySelector('#case-received').dateTime = '';
  delete root.querySelector('#case-status').dataset.status;
  root.querySelector('#history').replaceChildren();
  root.querySelector('#thread').replaceChildren();
}
