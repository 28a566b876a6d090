// libsodium (with its WebAssembly), loaded once per page in the background, so that the
// page is usable meanwhile. A failed load is retried on the next call.

let ready = null;
let loading = null;

/** The ready libsodium object, or null while it is still loading. */
export function sodiumIfReady() {
  return ready;
}

export function loadSodium() {
  loading ??= import('./vendor/libsodium-wrappers.mjs')
    .then(async ({ default: lib }) => {
      await lib.ready;
      ready = lib;
      return lib;
    })
    .catch((error) => {
      loading = null;
      throw error;
    });
  return loading;
}

/** Run `task` when the page has a moment (soon, whatever happens). */
export function whenIdle(task, timeout = 2000) {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(() => task(), { timeout });
  else setTimeout(task, 200);
}

/**
 * Run `task` once the page's own libsodium has loaded and the page is idle: the time for the
 * workers to load theirs (issue 15). Started then, not on "send", their downloads never
 * compete with the page's and a reporter on a slow network waits for none of them after
 * pressing send. Nothing happens where there are no module workers (or the load failed:
 * the workers then start when they are needed).
 */
export function afterSodium(task) {
  if (typeof Worker !== 'function' || typeof document === 'undefined') return;
  loadSodium().then(() => whenIdle(task), () => {});
}
