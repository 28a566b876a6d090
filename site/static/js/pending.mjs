// A message whose fate is unknown: sealed and sent, but the connection dropped or the server
// failed before the answer came, so it may have been stored. It is kept in this page's
// memory only. If the reporter sends the form again unchanged, the very same sealed bytes go
// out again (with a fresh proof of work), and the server stores them once; a changed form is
// sealed anew.

/** Whether an answer leaves the outcome unknown: no answer at all, or a server failure. */
export function outcomeUnknown(status) {
  return status === 0 || status >= 500;
}

export class Pending {
  #kept = null;

  /** Keep `sealed`, made from the form's `snapshot` ({text, files}). */
  keep(snapshot, sealed) {
    this.#kept = { snapshot, sealed };
  }

  /** What was kept for this very `snapshot`, or null; either way nothing stays kept. */
  take(snapshot) {
    const kept = this.#kept;
    this.#kept = null;
    if (kept === null) return null;
    const same = kept.snapshot.text === snapshot.text
      && kept.snapshot.files.length === snapshot.files.length
      && kept.snapshot.files.every((file, i) => file === snapshot.files[i]);
    if (same) return kept.sealed;
    for (const { key } of kept.sealed.files) key.fill(0);
    return null;
  }

  /** Forget what was kept, its file keys wiped. */
  clear() {
    this.take({ text: null, files: [] });
  }
}
