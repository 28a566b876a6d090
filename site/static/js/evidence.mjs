// The form's evidence files: chosen with the file input (several at a time, several times),
// listed with name and size, each with a remove button. The files stay File objects in this
// page's memory until they are sent; nothing is read before the report is stored.
// Every word comes from the #evidence field's data-msg attributes, in the page's language.

import { formatBytes } from './uploads.mjs';

const chosen = []; // File objects, in the order chosen

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
  const maxBytes = Number(field.dataset.maxBytes);
  const maxFiles = Number(field.dataset.maxFiles);
  input.addEventListener('change', () => {
    const refused = [];
    for (const file of input.files) {
      if (file.size > maxBytes) refused.push(field.dataset.msgTooLarge.replace('{name}', file.name));
      else if (chosen.length >= maxFiles) refused.push(field.dataset.msgTooMany);
      else chosen.push(file);
    }
    input.value = ''; // the list below is what will be sent
    error.textContent = [...new Set(refused)].join(' ');
    refresh(form);
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

/** The files to send, in order. */
export function chosenFiles() {
  return chosen.slice();
}

export function clearEvidence(form) {
  chosen.length = 0;
  form.querySelector('#evidence-error').textContent = '';
  refresh(form);
}
