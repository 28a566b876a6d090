// The list of offices (_routing.html): hundreds of radio buttons in a scrolling box, and a
// search field that hides the ones whose name does not hold every word typed (case and
// accents ignored). The "I do not know" choice and the chosen office always stay in view; a
// status line says how many match, for screen readers too. Without this module the whole
// list is there to scroll.

const WAIT_MS = 150; // let a phone's keyboard finish a word before the list is redrawn

/** Lower case, accents removed, one space between words. */
export function normalised(text) {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Whether `name` (normalised) holds every word of `query` (normalised). */
export function matches(name, query) {
  return query.split(' ').every((word) => name.includes(word));
}

export function setUpOfficeFilter(fieldset) {
  const search = fieldset.querySelector('.office-search');
  const input = fieldset.querySelector('#office-filter');
  const count = fieldset.querySelector('#office-count');
  const items = Array.from(fieldset.querySelectorAll('#office-list label'), (label) => ({
    label,
    radio: label.querySelector('input'),
    name: normalised(label.textContent),
  }));
  let timer = null;

  function apply() {
    timer = null;
    const query = normalised(input.value);
    let shown = 0;
    for (const { label, radio, name } of items) {
      if (radio.value === '') continue; // "I do not know" is always there
      const keep = query === '' || radio.checked || matches(name, query);
      label.hidden = !keep;
      if (keep && (query === '' || matches(name, query))) shown += 1;
    }
    if (query === '') count.textContent = '';
    else if (shown === 0) count.textContent = fieldset.dataset.msgNoMatch;
    else if (shown === 1) count.textContent = fieldset.dataset.msgOneMatch;
    else count.textContent = fieldset.dataset.msgMatches.replace('{count}', String(shown));
    input.dataset.applied = input.value; // the list now shows what this text asks
  }

  input.addEventListener('input', () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(apply, WAIT_MS);
  });
  // Enter in the search field must not send the form: it moves to the first match, which
  // Space (or an arrow key) then chooses.
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    if (timer !== null) {
      clearTimeout(timer);
      apply();
    }
    const first = items.find(({ label, radio }) => radio.value !== '' && !label.hidden);
    if (first) first.radio.focus();
  });
  search.hidden = false;
  return { reset() { input.value = ''; apply(); } };
}
