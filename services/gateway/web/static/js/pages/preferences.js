// Which alerts arrive by push and by email, and Web Push in this browser (a service
// worker at /sw.js, the service's VAPID key, the subscription sent to the API).
import { $, api, errorText, hide, page, show, t } from "../core.js";

const KINDS = page.kinds;  // a customer's, or an agent's
const CHANNELS = ["push", "email"];
const form = $("#prefs-form");

async function loadPreferences() {
  try {
    const prefs = await api("GET", "/api/v1/notification-preferences");
    for (const channel of CHANNELS) {
      for (const kind of KINDS) {
        const box = $(`#${channel}-${kind}`);
        box.checked = !!(prefs[channel] && prefs[channel][kind]);
        box.disabled = false;
      }
    }
  } catch (failure) {
    show($("#prefs-error"), errorText(failure));
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  hide($("#prefs-error"));
  hide($("#prefs-saved"));
  const body = {};
  for (const channel of CHANNELS) {
    body[channel] = {};
    for (const kind of KINDS) body[channel][kind] = $(`#${channel}-${kind}`).checked;
  }
  const button = $("#prefs-save");
  button.disabled = true;
  try {
    await api("PUT", "/api/v1/notification-preferences", { json: body });
    show($("#prefs-saved"));
  } catch (failure) {
    show($("#prefs-error"), errorText(failure));
  } finally {
    button.disabled = false;
  }
});

// -- Web Push -----------------------------------------------------------------------------------

const SUBSCRIPTION_ID = "push-subscription-id";

function base64UrlToBytes(text) {
  const padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
}

function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function setState(key) {
  $("#push-state").textContent = t(key);
}

async function currentSubscription() {
  const registration = await navigator.serviceWorker.getRegistration("/");
  return registration ? registration.pushManager.getSubscription() : null;
}

async function refreshPushState() {
  if (!supported()) {
    setState("push.unsupported");
    $("#push-enable").hidden = true;
    return;
  }
  if (Notification.permission === "denied") {
    setState("push.blocked");
    return;
  }
  const subscription = await currentSubscription().catch(() => null);
  $("#push-enable").hidden = !!subscription;
  $("#push-disable").hidden = !subscription;
  setState(subscription ? "push.on" : "push.off");
}

async function enablePush() {
  hide($("#push-error"));
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    show($("#push-error"), t("push.permission_needed"));
    return refreshPushState();
  }
  setState("push.working");
  const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  await navigator.serviceWorker.ready;
  const { public_key: publicKey } = await api("GET", "/api/v1/push/vapid-public-key");
  let subscription;
  try {
    subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: base64UrlToBytes(publicKey) });
  } catch (failure) {
    show($("#push-error"), t("push.subscribe_failed"));
    return refreshPushState();
  }
  const answer = await api("POST", "/api/v1/push-subscriptions", { json: subscription.toJSON() });
  try { localStorage.setItem(SUBSCRIPTION_ID, String(answer.subscription.id)); } catch (unavailable) { /* fine */ }
  await refreshPushState();
}

async function disablePush() {
  hide($("#push-error"));
  const subscription = await currentSubscription();
  if (subscription) await subscription.unsubscribe();
  let id = null;
  try { id = localStorage.getItem(SUBSCRIPTION_ID); } catch (unavailable) { id = null; }
  if (id) {
    await api("DELETE", `/api/v1/push-subscriptions/${encodeURIComponent(id)}`).catch(() => {});
    try { localStorage.removeItem(SUBSCRIPTION_ID); } catch (unavailable) { /* fine */ }
  }
  await refreshPushState();
}

function guarded(work) {
  return async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await work();
    } catch (failure) {
      show($("#push-error"), errorText(failure));
    } finally {
      button.disabled = false;
    }
  };
}

$("#push-enable").addEventListener("click", guarded(enablePush));
$("#push-disable").addEventListener("click", guarded(disablePush));
loadPreferences();
refreshPushState();
