// Loaded by every page: the language switch, logging out, the notifications bell
// (its unread count follows the live stream) and the chat button.
import { api, formatDateTime, page, quietAfterAction, t, toast } from "./core.js";
import { mountChat } from "./chat.js";
import { mountAgentBar } from "./agent/bar.js";

const LANG_COOKIE_SECONDS = 365 * 24 * 3600;

function setupLanguageSwitch() {
  const select = document.getElementById("lang-switch");
  if (!select) return;
  select.addEventListener("change", async () => {
    const chosen = select.value;
    if (page.user) {
      // The account's language too: its inbox items and emails follow it.
      try {
        await api("PUT", "/api/v1/me", { json: { locale: chosen } });
      } catch (failed) {
        toast(failed.message);
      }
    }
    document.cookie = `lang=${encodeURIComponent(chosen)}; path=/; max-age=${LANG_COOKIE_SECONDS}; samesite=lax`;
    try { localStorage.setItem("lang", chosen); } catch (unavailable) { /* private mode: the cookie remembers */ }
    const url = new URL(location.href);
    url.searchParams.delete("lang"); // a `?lang=` in the address would win over the choice just made
    location.replace(url.toString());
  });
}

function setupLogout() {
  const button = document.getElementById("logout");
  if (!button) return;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api("POST", "/api/v1/auth/logout");
    } catch (ignored) {
      // Ended elsewhere already: the cookies are gone either way.
    }
    location.assign("/login");
  });
}

// -- the bell ---------------------------------------------------------------------------------

let refreshing = null;

function setCount(count) {
  const bell = document.getElementById("bell");
  const badge = document.getElementById("bell-count");
  if (!bell || !badge) return;
  badge.dataset.count = String(count);
  badge.textContent = count > 99 ? "99+" : String(count);
  badge.hidden = count === 0;
  bell.setAttribute("aria-label", count ? t("bell.label_unread", { count }) : t("bell.label"));
}

/** The unread count as the server has it (several tabs and read-all elsewhere stay right). */
export function refreshCount() {
  if (refreshing) return refreshing;
  refreshing = api("GET", "/api/v1/notifications?unread=true&limit=1")
    .then((data) => setCount(data.unread_count))
    .catch(() => {})
    .finally(() => { refreshing = null; });
  return refreshing;
}

// One live stream per browser, not per tab: the tab holding the Web Lock opens it and
// passes what arrives to the other tabs (a browser allows only six connections per site
// over HTTP/1.1, and each open stream holds one).
const STREAM = "/api/v1/notifications/stream";
const LOCK = "support-notifications-stream";
let channel = null;
let stopStream = () => {};

function deliver(item) {
  window.dispatchEvent(new CustomEvent("app:notification", { detail: item }));
  if (!quietAfterAction()) toast(item.title || t("bell.new"));
  refreshCount();
}

function lead() {
  return new Promise((release) => {
    const source = new EventSource(STREAM);
    // Opening (and re-opening after a drop) catches up with whatever happened meanwhile.
    source.addEventListener("open", () => {
      document.body.dataset.live = "open";
      refreshCount();
      if (channel) channel.postMessage({ type: "open" });
    });
    source.addEventListener("notification", (event) => {
      let item;
      try { item = JSON.parse(event.data); } catch (bad) { return; }
      deliver(item);
      if (channel) channel.postMessage({ type: "notification", item });
    });
    stopStream = () => { source.close(); release(); };
  });
}

function startStream() {
  if (!window.EventSource) return;
  channel = "BroadcastChannel" in window ? new BroadcastChannel(LOCK) : null;
  if (channel && navigator.locks) {
    channel.onmessage = ({ data }) => {
      if (data.type === "notification") deliver(data.item);
      else if (data.type === "open") refreshCount();
    };
    const waiting = new AbortController();
    navigator.locks.request(LOCK, { signal: waiting.signal }, lead).catch(() => {});
    stopStream = () => waiting.abort();
  } else {
    lead();
  }
}

// A page put away in the back/forward cache lets go of its stream; brought back, it follows again.
window.addEventListener("pagehide", () => {
  stopStream();
  if (channel) channel.close();
  channel = null;
});
window.addEventListener("pageshow", (event) => {
  if (event.persisted && page.user && document.getElementById("bell")) startStream();
});
window.addEventListener("app:notifications-read", () => refreshCount());

// Dates the server wrote (in UTC, web/dates.py) are shown in the reader's own zone, like the scripts' dates.
function localizeServerDates() {
  document.querySelectorAll("time[data-local][datetime]").forEach((node) => {
    node.textContent = formatDateTime(node.getAttribute("datetime"));
  });
}

// On a phone the header's links fold into a menu (app.css); the button says whether it is open.
function setupNavToggle() {
  const button = document.getElementById("nav-toggle");
  if (!button) return;
  const bar = button.closest(".topbar");
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    bar.classList.toggle("nav-open", open);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && bar.classList.contains("nav-open")) {
      bar.classList.remove("nav-open");
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
}

localizeServerDates();
setupNavToggle();
setupLanguageSwitch();
setupLogout();
// Customers and agents alike: an agent's bell tells of replies on the tickets it holds.
if (page.user && document.getElementById("bell")) {
  refreshCount();
  // A stream opened before the load event would keep the page "loading" for as long as it lasts.
  if (document.readyState === "complete") startStream();
  else window.addEventListener("load", () => setTimeout(startStream, 0), { once: true });
}
if (page.user && page.user.role === "agent") mountAgentBar();
mountChat();
