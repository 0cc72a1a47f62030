// Toasts, and one toast per action: the answer to what the person did is said once (see
// `announce`), and what the same action causes on the live stream only counts on the bell.
// No imports: core.js re-exports these, and every page takes them from there.

// One toast per action: what the person just did is said once, by the page that did it. The
// notifications the same action causes (a booking's confirmation, the ticket's update) arrive
// on the live stream a moment later; for a short while they only count on the bell. The moment
// is kept for the tab (sessionStorage), so an action that ends on another page stays quiet there.
const ACTION_QUIET_MS = 15000;
const ACTION_AT = "support:action-at";  // (a colon: no catalogue key)
const NEXT_PAGE_TOAST = "support:next-page-toast";

function stored(key) {
  try { return sessionStorage.getItem(key); } catch (unavailable) { return null; }
}

function store(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key); else sessionStorage.setItem(key, value);
  } catch (unavailable) { /* private mode: this page alone remembers */ }
}

let lastActionToast = Number(stored(ACTION_AT)) || 0;

// Marked when an action starts, not when its answer comes: the notifications it causes can reach
// the live stream before its own answer does, and they too only count on the bell.
function noteAction() {
  lastActionToast = Date.now();
  store(ACTION_AT, String(lastActionToast));
}

/**
 * A short message that screen readers announce and that fades away. `action: true` marks
 * the answer to the person's own action (see `quietAfterAction`); a toast with the text of
 * one still shown replaces it instead of stacking.
 */
export function toast(text, kind = "info", { action = false } = {}) {
  const box = document.getElementById("toasts");
  if (!box) return;
  if (action) noteAction();
  [...box.children].filter((old) => old.textContent === text).forEach((old) => old.remove());
  const item = document.createElement("p");
  item.className = "toast " + kind;
  item.textContent = text;
  box.append(item);
  setTimeout(() => item.remove(), 6000);
}

/** Whether an action of this page was just announced (a notification it caused needs no toast of its own). */
export function quietAfterAction() {
  return Date.now() - lastActionToast < ACTION_QUIET_MS;
}

/**
 * Do one of the person's actions and answer it with one toast: `work` sends it (the moment is
 * marked before, see `noteAction`), `message` (a text, or a function of work's result giving
 * one) is the toast. A failure is the caller's to show where the form is; no toast then.
 */
export async function announce(work, message, kind = "info") {
  noteAction();
  const result = await work();
  const text = typeof message === "function" ? message(result) : message;
  if (text) toast(text, kind, { action: true });
  return result;
}

/** The toast of an action that ends by opening another page (a new ticket): that page shows it. */
export function announceOnNextPage(text) {
  noteAction();
  store(NEXT_PAGE_TOAST, text);
}

function showNextPageToast() {
  const text = stored(NEXT_PAGE_TOAST);
  if (!text) return;
  store(NEXT_PAGE_TOAST, null);
  toast(text, "info", { action: true });
}

// A toast an action on the previous page left for this one (announceOnNextPage).
showNextPageToast();
