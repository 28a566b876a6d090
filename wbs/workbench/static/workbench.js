// The workbench's only script: show progress while a long request (unlock) or a sync runs;
// warn before the idle lock and keep drafts over it.
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

// The idle lock: the server locks the key after `idle` seconds without a request. A warning
// comes shortly before, with a button that keeps it unlocked; when the time is up the page
// reloads, asks for the passphrase, and the decrypted text leaves the screen. What is typed
// into the reply and note forms is sent to the workbench as it changes and before the lock
// (POST /case/<id>/draft): it keeps it sealed to the inspector's key, and puts it back in
// the form after the unlock. A draft counts as activity only when its text changed.
const idle = Number(document.body.dataset.idle || 0);
const warning = document.getElementById("idle-warning");
const token = document.querySelector('input[name="csrf"]');
const drafts = [];
let warnTimer = 0;
let lockTimer = 0;
let round = 0;

async function post(path, fields) {
  const body = new URLSearchParams({ csrf: token ? token.value : "", ...fields });
  try {
    const answer = await fetch(path, { method: "POST", body, redirect: "manual", cache: "no-store" });
    if (answer.ok) return await answer.json();
  } catch {
    // no answer: the lock's reload shows what the workbench says
  }
  return null;
}

async function save(draft) {
  clearTimeout(draft.timer);
  const text = draft.field.value;
  if (draft.submitted || text === draft.kept) return;
  const state = await post(draft.path, { form: draft.form, text });
  if (state) {
    draft.kept = text;
    schedule(state.left);
  }
}

function flush() {
  return Promise.all(drafts.map(save));
}

// Each call starts a new round of timers: a round that activity replaced does nothing.
function schedule(left) {
  const mine = ++round;
  clearTimeout(warnTimer);
  clearTimeout(lockTimer);
  if (warning) warning.hidden = true;
  const before = Math.min(60, idle / 2);
  warnTimer = setTimeout(async () => {
    await flush();
    if (warning && mine === round) warning.hidden = false;
  }, Math.max(0, left - before) * 1000);
  lockTimer = setTimeout(async () => {
    await flush();
    if (mine === round) window.location.reload();
  }, (left + 1) * 1000);
}

for (const form of ["reply", "note", "status"]) {
  const element = document.getElementById(form);
  const field = element && element.querySelector("textarea");
  if (!field) continue;
  const draft = { form, field, kept: field.value, timer: 0, submitted: false };
  draft.path = new URL("draft", element.action).pathname;
  field.addEventListener("input", () => {
    clearTimeout(draft.timer);
    draft.timer = setTimeout(() => save(draft), 1000);
  });
  element.addEventListener("submit", () => {
    clearTimeout(draft.timer);
    draft.submitted = true; // sending it forgets the draft
  });
  drafts.push(draft);
}

const stay = document.getElementById("stay");
if (stay) {
  stay.addEventListener("submit", async (event) => {
    event.preventDefault();
    const state = await post(stay.action, {});
    if (state) schedule(state.left);
    else window.location.reload();
  });
}

if (idle > 0) schedule(idle);
