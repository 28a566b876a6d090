// xwing.mjs and noble's modules, imported only when a message is sealed to a hybrid desk,
// never at page load (docs/spec/xwing-v1.md section 8.8). import() carries no integrity, so
// each module of the graph is first preloaded with the integrity #wbs-xwing gives; the import
// then takes them from the module map. A module failing its preload: nothing is sealed.

const ELEMENT = 'wbs-xwing';

let loading = null;

/** A module of xwing.mjs's graph did not load with its integrity. */
export class ModuleIntegrityError extends Error {
  constructor(href) {
    super(`${href} did not load with the integrity this page expects`);
    this.name = 'ModuleIntegrityError';
  }
}

class ModuleFetchError extends Error {} // the network's fault: sending again may work

// A failed preload does not say why: fetch the module again and compare its digest with the
// integrity (xwing-v1 section 8.8). Differing, or gone from the site: the page is stale.
async function why(href, integrity) {
  const fault = (stale) => (stale ? new ModuleIntegrityError(href) : new ModuleFetchError(href));
  try {
    const response = await fetch(href, { cache: 'no-store', credentials: 'omit' });
    if (!response.ok) return fault([403, 404, 410].includes(response.status));
    const [algorithm, expected] = integrity.split(/-(.*)/s);
    const name = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' }[algorithm];
    const digest = new Uint8Array(await crypto.subtle.digest(name, await response.arrayBuffer()));
    return fault(btoa(String.fromCharCode(...digest)) !== expected);
  } catch {
    return fault(false); // no answer, or the body broke off
  }
}

function preload({ href, integrity }) {
  return new Promise((resolve, reject) => {
    const link = document.createElement('link');
    link.rel = 'modulepreload';
    link.href = href;
    link.integrity = integrity;
    link.addEventListener('load', resolve);
    link.addEventListener('error', () => why(href, integrity).then(reject));
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
