// The report form: reported people, identity, validation and the report payload.
// Every word shown comes from the page (data-msg attributes), in the page's language.

const SCHEMA = 'wbs-report/1';

const DECLARATIONS = ['truthful', 'not_involved', 'aware_of_sanctions', 'confidential'];

/** Wire the form's controls: add/remove reported people, show identity fields on demand. */
export function setUpForm(form) {
  const people = form.querySelector('#people');
  const template = form.querySelector('#person-template');
  form.querySelector('#add-person').addEventListener('click', () => {
    people.append(template.content.cloneNode(true));
    renumber(people);
    people.lastElementChild.querySelector('input').focus();
  });
  people.addEventListener('click', (event) => {
    const remove = event.target.closest('[data-remove-person]');
    if (!remove) return;
    remove.closest('[data-person]').remove();
    renumber(people);
    form.querySelector('#add-person').focus();
  });
  form.addEventListener('change', (event) => {
    if (event.target.name === 'identity') showIdentity(form);
  });
  // A field's error goes away as soon as what was wrong has been fixed.
  for (const type of ['input', 'change']) {
    form.addEventListener(type, (event) => recheck(event.target));
  }
}

function renumber(people) {
  people.querySelectorAll('[data-person-number]').forEach((span, i) => {
    span.textContent = String(i + 1);
  });
}

function showIdentity(form) {
  form.querySelector('#identity-fields').hidden = !isIdentified(form);
}

function isIdentified(form) {
  return form.elements.namedItem('identity').value === 'identified';
}

/** Empty the form for the next report: one empty reported person, anonymous. */
export function resetForm(form) {
  form.reset();
  form.querySelectorAll('#people [data-person]:not(#who-first)').forEach((p) => p.remove());
  showIdentity(form);
  form.querySelectorAll('[data-check]').forEach((unit) => markUnit(unit, ''));
}

// -- validation ---------------------------------------------------------------------------

// A unit is an element with data-check: a field ("required", "digits") or a fieldset
// ("any": one of its inputs filled; "all": every checkbox ticked; "chosen": one of its
// radio buttons chosen). Units inside a hidden
// part of the form (identity fields of an anonymous report) are not checked.
const CHECKS = {
  required: (unit) => unit.value.trim() !== '',
  digits: (unit) => /^[0-9]*$/.test(unit.value.trim()),
  any: (unit) => inputs(unit).some((input) => input.value.trim() !== ''),
  all: (unit) => inputs(unit).every((input) => input.checked),
  chosen: (unit) => inputs(unit).some((input) => input.checked),
};

function inputs(unit) {
  return Array.from(unit.querySelectorAll('input'));
}

function isValid(unit) {
  return unit.closest('[hidden]') !== null || CHECKS[unit.dataset.check](unit);
}

/** Mark every invalid unit with its message; return the element to focus, or null. */
export function validate(form) {
  let first = null;
  for (const unit of form.querySelectorAll('[data-check]')) {
    const ok = isValid(unit);
    markUnit(unit, ok ? '' : unit.dataset.msg);
    if (!ok && first === null) first = focusTarget(unit);
  }
  return first;
}

/**
 * Check the form; if anything is wrong, open every fold (<details>) that holds an invalid
 * field, fill `area` (just above the send button, where the reporter is) with `message` and
 * a link to each invalid field, named and with its reason, and return true. A link moves the
 * focus to its field (opening its fold again if it was closed) and leaves the URL alone.
 */
export function showInvalid(form, area, message) {
  validate(form);
  const invalid = Array.from(form.querySelectorAll('[data-check]')).filter((unit) => !isValid(unit));
  if (invalid.length === 0) return false;
  invalid.forEach(unfold);
  const intro = document.createElement('p');
  intro.textContent = message;
  const list = document.createElement('ul');
  for (const unit of invalid) {
    const link = document.createElement('a');
    link.href = `#${unit.id}`;
    link.textContent = `${fieldName(form, unit)}: ${unit.dataset.msg}`;
    link.addEventListener('click', (event) => {
      event.preventDefault();
      unfold(unit);
      focusTarget(unit).focus();
    });
    const item = document.createElement('li');
    item.append(link);
    list.append(item);
  }
  area.replaceChildren(intro, list);
  return true;
}

/** A field's label, or a group's legend (the reported people: "Who is involved?"), untagged. */
function fieldName(form, unit) {
  const title = unit.matches('fieldset')
    ? unit.closest('fieldset:not([data-person])').querySelector('legend')
    : form.querySelector(`label[for="${unit.id}"]`);
  const copy = title.cloneNode(true);
  copy.querySelectorAll('.tag').forEach((tag) => tag.remove());
  return copy.textContent.replace(/\s+/g, ' ').trim();
}

/** Open every fold around `unit`: a field inside a closed <details> can be neither seen nor focused. */
function unfold(unit) {
  for (let fold = unit.closest('details'); fold; fold = fold.parentElement.closest('details')) {
    fold.open = true;
  }
}

function focusTarget(unit) {
  if (unit.dataset.check === 'all') return inputs(unit).find((input) => !input.checked);
  if (unit.dataset.check === 'any' || unit.dataset.check === 'chosen') return inputs(unit)[0];
  return unit;
}

function markUnit(unit, message) {
  const fields = unit.matches('fieldset') ? inputs(unit) : [unit];
  fields.forEach((field) => {
    if (message) field.setAttribute('aria-invalid', 'true');
    else field.removeAttribute('aria-invalid');
  });
  document.getElementById(`${unit.id}-error`).textContent = message;
}

function recheck(target) {
  const unit = target.closest('[data-check]');
  if (unit && isMarked(unit) && isValid(unit)) markUnit(unit, '');
}

function isMarked(unit) {
  return document.getElementById(`${unit.id}-error`).textContent !== '';
}

// -- payload ------------------------------------------------------------------------------

/**
 * The answers that decide where the report goes (routing.mjs): the office the matter
 * concerns ("" when not asked, not known or not listed) and whether it concerns the
 * inspectorate's own staff (false when not asked).
 */
export function routeAnswers(form) {
  const office = form.elements.namedItem('office');
  const staff = form.elements.namedItem('concerns_staff');
  return { office: office?.value ?? '', concerns_staff: staff?.value === 'yes' };
}

/** The report as the inspectors will read it (schema wbs-report/1). */
export function reportPayload(form) {
  const text = (name) => form.elements.namedItem(name).value.trim();
  const category = form.elements.namedItem('category');
  const identified = isIdentified(form);
  const people = Array.from(form.querySelectorAll('#people [data-person]'), (person) => {
    const value = (name) => person.querySelector(`[name="${name}"]`).value.trim();
    return { name: value('who-name'), position: value('who-position'), unit: value('who-unit') };
  });
  return {
    schema: SCHEMA,
    lang: document.documentElement.lang,
    category: { id: category.value, label: category.selectedOptions[0].textContent.trim() },
    title: text('title'),
    what: text('what'),
    who: people.filter((p) => p.name || p.position || p.unit),
    where: text('where'),
    when: { date: text('when-date'), note: text('when-note') },
    how: text('how'),
    loss: text('loss'),
    reporter: {
      anonymous: !identified,
      name: identified ? text('reporter-name') : '',
      contact: identified ? text('reporter-contact') : '',
      relation: identified ? text('reporter-relation') : '',
    },
    declarations: Object.fromEntries(
      DECLARATIONS.map((name) => [name, form.elements.namedItem(name).checked]),
    ),
    route: routeAnswers(form),
  };
}
