// A customer's ticket: the whole history, the reply box with attachments, escalation.
import { $, api, errorText, formatDateTime, h, hide, page, revealError, show, t, tEnum } from "../core.js";
import { renderHistory } from "../history.js";
import { mountReplyForm } from "../reply_form.js";

const number = page.number;
const path = "/api/v1/tickets/" + encodeURIComponent(number);
let ticket = null;

function fact(id, value, rowClass) {
  const cell = $("#" + id);
  cell.textContent = value || "";
  if (rowClass) document.querySelectorAll("." + rowClass).forEach((node) => { node.hidden = !value; });
}

function escalationText(escalation) {
  const target = escalation.department ? tEnum("department", escalation.department) : t("escalate.senior");
  if (escalation.status === "pending") return t("ticket.escalation_pending", { target });
  return t("ticket.escalation_accepted", { target });
}

function render() {
  $("#ticket-subject").textContent = ticket.subject;
  document.title = `${ticket.subject} · ${t("app.name")}`;
  fact("fact-number", ticket.number);
  const badge = $("#ticket-status");
  badge.textContent = tEnum("status", ticket.status);
  badge.className = "status-badge " + ticket.status;
  badge.dataset.status = ticket.status;
  fact("fact-category", tEnum("category", ticket.category));
  fact("fact-created", formatDateTime(ticket.created_at));
  fact("fact-txid", ticket.txid, "opt-txid");
  fact("fact-order", ticket.order_id, "opt-order");
  fact("fact-occurred", ticket.occurred_at ? formatDateTime(ticket.occurred_at) : "", "opt-occurred");
  $("#ticket-facts").hidden = false;
  const escalation = ticket.escalation;
  const state = $("#escalation-state");
  if (escalation) show(state, escalationText(escalation)); else hide(state);
  renderHistory($("#history"), ticket.messages);
  const closed = ticket.status === "closed";
  $("#reply-section").hidden = closed;
  $("#closed-note").hidden = !closed;
  $("#escalate-section").hidden = closed || (escalation && escalation.status === "pending");
}

async function load() {
  try {
    ticket = await api("GET", path);
    render();
  } catch (failure) {
    show($("#page-error"), errorText(failure));
  }
}

// A ticket just made: its toast came with the page (ticket_new.js); here, the similar ones still open.
function similarOpen() {
  if (new URLSearchParams(location.search).get("created") !== "1") return;
  let similar = [];
  try { similar = JSON.parse(sessionStorage.getItem("support.created." + number) || "[]"); } catch (bad) { similar = []; }
  if (similar.length) {
    $("#created-notice").replaceChildren(h("p", {}, t("ticket.similar_open")), h("ul", { id: "similar-tickets" }, similar.map((item) =>
      h("li", {}, h("a", { href: "/support/tickets/" + encodeURIComponent(item.number) }, t("ticket.number_short", { number: item.number }) + " · " + item.subject)))));
    $("#created-notice").hidden = false;
  }
  history.replaceState(null, "", location.pathname);
}

mountReplyForm({
  path, prefix: "reply", textarea: "#reply-body", emptyText: t("ticket.reply_empty"), sentText: t("ticket.reply_sent"),
  sent: load, closed: load,
});

$("#escalate-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("#escalate-error");
  hide(error);
  const reason = $("#escalate-reason").value.trim();
  if (reason.length < 3) { revealError(error, t("escalate.reason_needed"), $("#escalate-reason")); return; }
  const department = $("#escalate-to").value || null;
  const button = $("#escalate-submit");
  button.disabled = true;
  try {
    ticket = await api("POST", path + "/escalation", { json: { reason, department } });
    $("#escalate-reason").value = "";
    render();
    $("#escalation-state").focus();
  } catch (failure) {
    revealError(error, errorText(failure));
  } finally {
    button.disabled = false;
  }
});

// Support's activity on this ticket shows up without a reload.
window.addEventListener("app:notification", (event) => {
  const link = event.detail && event.detail.link;
  if (link && new URL(link, location.origin).pathname === location.pathname) load();
});

similarOpen();
load();
