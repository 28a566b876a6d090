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
