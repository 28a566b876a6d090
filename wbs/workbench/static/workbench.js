// The workbench's only script: show progress while a long request (sync, unlock) runs.
"use strict";

function busy(formId, progressId, labelId) {
  const form = document.getElementById(formId);
  if (!form) return;
  form.addEventListener("submit", () => {
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    for (const id of [progressId, labelId]) {
      const element = id && document.getElementById(id);
      if (element) element.hidden = false;
    }
  });
}

busy("sync-form", "sync-progress", "sync-label");
busy("unlock", "unlock-progress");

// When the server has locked the key (no request for the idle time), reload: the page then
// asks for the passphrase, and the decrypted text leaves the screen.
const idle = Number(document.body.dataset.idle || 0);
if (idle > 0) setTimeout(() => window.location.reload(), (idle + 1) * 1000);
