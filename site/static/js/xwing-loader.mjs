// xwing.mjs and noble's modules, imported only when a message is sealed to a hybrid desk
// (docs/spec/xwing-v1.md section 8.8), never at page load: the form is usable before them.
// A dynamic import() carries no integrity, so every module of xwing.mjs's graph is first
// preloaded with the integrity the build wrote in #wbs-xwing (as base.html preloads the
// page's own modules); the import then takes them from the module map. A module that fails
// its integrity (tampered, or a page older than the site) fails its preload, and nothing is
// imported: the message is not sealed.

const ELEMENT = 'wbs-xwing';

let loading = null;

/** A module of xwing.mjs's graph did not load with its integrity. */
export class ModuleIntegrityError extends Error {
  constructor(href) {
    super(`${href} did not load with the integrity this page expects`);
    this.name = 'ModuleIntegrityError';
  }
}

function preload({ href, integrity }) {
  return new Promise((resolve, reject) => {
    const link = document.createElement('link');
    link.rel = 'modulepreload';
    link.href = href;
    link.integrity = integrity;
    link.addEventListener('load', resolve);
    link.addEventListener('error', () => reject(new ModuleIntegrityError(href)));
    document.head.append(link);
  });
}

async function load() {
  const modules = JSON.parse(document.getElementById(ELEMENT).textContent);
  await Promise.all(modules.map(preload));
  return import(modules[modules.length - 1].href); // xwing.mjs, the list's last
}

/** The xwing.mjs module, loaded once (and again after a failure). */
export function loadXWing() {
  loading ??= load();
  loading.catch(() => { loading = null; });
  return loading;
}
