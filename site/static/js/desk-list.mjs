// "Who can read your report" (_keys.html): the desks a message goes to, by name, each with
// its fingerprint once libsodium is loaded (the fingerprint is computed from the very key
// the page seals to). The report page shows its routed desks, the status page the case's.

import { deskFingerprint, deskName } from './keyring.mjs';

/** Show `desks` (ids, in the order given) in the list; `sodium` may be null (not loaded). */
export function showDesks(list, desks, sodium) {
  list.replaceChildren(...[...desks].map((desk) => {
    const item = document.createElement('li');
    item.dataset.desk = desk;
    const label = document.createElement('span');
    label.className = 'key-label';
    label.textContent = deskName(desk);
    item.append(label);
    const fp = sodium === null ? null : deskFingerprint(sodium, desk);
    if (fp !== null) {
      const code = document.createElement('code');
      code.className = 'fingerprint';
      code.textContent = fp;
      item.append(' ', code);
    }
    return item;
  }));
}
