// What a form says while the reporter waits (issue 15): the steps of a long task ("Step 2 of
// 3: …"), each with honest progress. A determinate bar only where the fraction is known (the
// proof of work's); where it is not (libsodium loading, Argon2id, a request awaiting its
// answer), an indeterminate bar and the seconds gone by: never a made-up percentage.
// Screen readers hear the form's status line when the step changes, and a short "where it
// stands" at most every ANNOUNCE_MS, never every tick. The words come from the progress
// box's data-msg attributes (templates/_waiting.html), in the page's language.

const TICK_MS = 1000;
export const ANNOUNCE_MS = 10_000;

function lang() {
  return document.documentElement.lang || undefined;
}

function seconds(ms) {
  const value = Math.max(0, Math.floor(ms / 1000));
  return new Intl.NumberFormat(lang(), { style: 'unit', unit: 'second', unitDisplay: 'long' })
    .format(value);
}

function percent(fraction) {
  return new Intl.NumberFormat(lang(), { style: 'percent', maximumFractionDigits: 0 })
    .format(Math.floor(fraction * 100) / 100);
}

/**
 * The waiting state of one form: `box` (the progress box: a <progress>, [data-area=detail]
 * and the [data-area=announce] live region) and `status` (the form's role=status line).
 */
export class Waiting {
  constructor(box, status) {
    this.box = box;
    this.status = status;
    this.bar = box.querySelector('progress');
    this.detail = box.querySelector('[data-area="detail"]');
    this.announcer = box.querySelector('[data-area="announce"]');
    this.words = box.dataset;
    this.timer = null;
    this.label = '';
    this.note = ''; // what the detail line says besides the time (a size)
    this.fraction = null;
    this.started = 0;
    this.announced = 0;
  }

  /**
   * A new step: `message` in the status line, numbered `n` of `count` when given; the bar
   * indeterminate and the seconds counted until `progress()` gives a fraction.
   */
  step(message, { n = 0, count = 0, note = '' } = {}) {
    this.label = n ? this.words.msgStep.replace('{n}', String(n)).replace('{count}', String(count)) : '';
    this.note = note;
    this.fraction = null;
    this.bar.removeAttribute('value');
    this.box.hidden = false;
    this.status.textContent = this.label ? `${this.label}: ${message}` : message;
    this.started = performance.now();
    this.announced = this.started; // the status line has just said it
    this.announcer.textContent = '';
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.show();
  }

  /** The fraction (0 to 1) of the current step that is done, when it is known. */
  progress(fraction) {
    this.fraction = Math.min(1, Math.max(0, fraction));
    this.bar.max = 1;
    this.bar.value = this.fraction;
    this.show();
  }

  show() {
    const parts = [];
    if (this.note) parts.push(this.note);
    if (this.fraction === null) {
      const time = seconds(performance.now() - this.started);
      parts.push(this.words.msgElapsed.replace('{time}', time));
    } else {
      parts.push(percent(this.fraction));
    }
    this.detail.textContent = parts.join(' · ');
  }

  tick() {
    this.show();
    const now = performance.now();
    if (now - this.announced < ANNOUNCE_MS) return;
    this.announced = now;
    const where = this.detail.textContent;
    this.announcer.textContent = this.label ? `${this.label}: ${where}` : where;
  }

  /** Back to rest: nothing shown, nothing counted. */
  end() {
    clearInterval(this.timer);
    this.timer = null;
    this.box.hidden = true;
    this.bar.removeAttribute('value');
    this.detail.textContent = '';
    this.announcer.textContent = '';
    this.status.textContent = '';
  }
}
