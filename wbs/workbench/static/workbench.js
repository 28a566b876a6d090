// The workbench's only script: show progress while a long request (unlock) or a sync runs.
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

// While a sync runs (the server marks #sync-form data-running), ask /sync/progress every
// 400 ms and show "12 of 40". When it is over, reload the inbox: the new cases and the
// result; any other page (a reply may be half typed) only stops showing the progress.
// Polling does not count as activity: the idle lock still comes on time.
function follow(formId, progressId, labelId) {
  const form = document.getElementById(formId);
  if (!form || !form.dataset.running) return;
  const bar = document.getElementById(progressId);
  const label = document.getElementById(labelId);
  const poll = async () => {
    let state = null;
    try {
      const answer = await fetch("/sync/progress", { cache: "no-store" });
      if (answer.ok) state = await answer.json();
    } catch {
      state = null; // no answer, or no JSON: stop following
    }
    if (!state || !state.running) {
      if (window.location.pathname === "/") {
        window.location.reload();
      } else {
        for (const element of [bar, label]) element.hidden = true;
        for (const button of form.querySelectorAll("button")) button.disabled = false;
      }
      return;
    }
    if (state.total > 0) {
      bar.max = state.total;
      bar.value = state.fetched;
      label.textContent = label.dataset.of
        .replace("{fetched}", String(state.fetched))
        .replace("{total}", String(state.total));
    }
    setTimeout(poll, 400);
  };
  setTimeout(poll, 400);
}

follow("sync-form", "sync-progress", "sync-label");

// When the server has locked the key (no request for the idle time), reload: the page then
// asks for the passphrase, and the decrypted text leaves the screen.
const idle = Number(document.body.dataset.idle || 0);
if (idle > 0) setTimeout(() => window.location.reload(), (idle + 1) * 1000);
