// The inbox: newest first, unread set apart, read one or all; new items arrive live.
import { $, api, errorText, h, hide, localPath, show, t, timeElement, tEnum } from "../core.js";

const list = $("#inbox-list");
const unreadOnly = $("#unread-only");
let cursor = null;

function item(notification) {
  const unread = !notification.read_at;
  const link = h("a", { href: localPath(notification.link), class: "inbox-link" },
    h("span", { class: "inbox-title" }, notification.title),
    h("span", { class: "inbox-body" }, notification.body));
  link.addEventListener("click", async (event) => {
    if (!unread) return;
    event.preventDefault();
    try {
      await api("POST", `/api/v1/notifications/${notification.id}/read`);
    } catch (ignored) {
      // Opening the page matters more than the mark.
    }
    location.assign(link.getAttribute("href"));
  });
  return h("li", { class: "inbox-item" + (unread ? " unread" : ""), id: "notification-" + notification.id, dataset: { kind: notification.kind } },
    h("span", { class: "tag" }, tEnum("kind", notification.kind)),
    unread ? h("span", { class: "unread-dot" }, t("inbox.unread")) : null,
    link,
    timeElement(notification.created_at));
}

function summarize(count) {
  $("#inbox-summary").textContent = count ? t("inbox.unread_count", { count }) : t("inbox.all_read");
}

let generation = 0;  // a newer request makes an older answer stale

async function load(more = false) {
  const mine = ++generation;
  const params = new URLSearchParams({ limit: "20" });
  if (unreadOnly.checked) params.set("unread", "true");
  if (more && cursor) params.set("cursor", cursor);
  hide($("#inbox-error"));
  try {
    const data = await api("GET", "/api/v1/notifications?" + params);
    if (mine !== generation) return;
    const rows = data.items.map(item);
    if (more) list.append(...rows); else list.replaceChildren(...rows);
    cursor = data.next_cursor;
    $("#load-more").hidden = !cursor;
    $("#inbox-empty").hidden = list.children.length > 0;
    summarize(data.unread_count);
  } catch (failure) {
    show($("#inbox-error"), errorText(failure));
  }
}

$("#read-all").addEventListener("click", async () => {
  try {
    await api("POST", "/api/v1/notifications/read-all");
    window.dispatchEvent(new CustomEvent("app:notifications-read"));
    load();
  } catch (failure) {
    show($("#inbox-error"), errorText(failure));
  }
});
unreadOnly.addEventListener("change", () => load());
$("#load-more").addEventListener("click", () => load(true));
window.addEventListener("app:notification", (event) => {
  if (!list.querySelector("#notification-" + event.detail.id)) list.prepend(item(event.detail));
  $("#inbox-empty").hidden = true;
});
load();
