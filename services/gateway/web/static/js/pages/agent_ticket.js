// An agent's ticket: the history with internal notes set apart; reply, ask for details,
// note, resolve, assign, accept an escalation, redact a message; propose video slots,
// record outcomes. The workspace around it: who else is here (agent/presence.js), macros
// (agent/macros.js), tags, merging, reassigning by name and the requester's context
// (agent/workspace.js); a reply is refused, until confirmed, when newer messages arrived.
import { $, announce, api, errorText, formatAge, formatDateTime, h, hide, page, revealError, show, t, tEnum, toast } from "../core.js";
import { attachmentPicker } from "../attachments.js";
import { renderHistory } from "../history.js";
import { showViewers, startPresence } from "../agent/presence.js";
import { mountMacros } from "../agent/macros.js";
import { mountVideoCalls } from "../agent/video_calls.js";
import { assigneeName, fillAgents, loadContext, mountMerge, mountTags, renderWorkspace } from "../agent/workspace.js";

const number = page.number;
const base = "/api/v1/agent/tickets/" + encodeURIComponent(number);
const picker = attachmentPicker("agent");
const me = page.user;
let ticket = null;

// What the agent just did is said once, as a toast (core.js `announce`); what it causes on the
// live stream meanwhile only counts on the bell.
function done(key) {
  toast(t(key), "info", { action: true });
}

function failed(failure, box = "#page-error") {
  show($(box), errorText(failure));
}

function mayAccept(escalation) {
  if (escalation.department) return me.department === escalation.department;
  return me.tier === "senior";
}

function render() {
  $("#ticket-subject").textContent = ticket.subject;
  const badge = $("#ticket-status");
  badge.textContent = tEnum("status", ticket.status);
  badge.className = "status-badge " + ticket.status;
  badge.dataset.status = ticket.status;
  const requester = ticket.requester || {};
  $("#fact-requester").textContent = `${requester.name || ""} <${requester.email || ""}> · ${tEnum("requester_kind", requester.kind || "user")}`;
  $("#fact-category").textContent = tEnum("category", ticket.category);
  $("#fact-tier").textContent = tEnum("tier", ticket.tier);
  $("#fact-department").textContent = ticket.department || "\u2014";
  $("#fact-assignee").textContent = assigneeName(ticket);
  $("#fact-age").textContent = formatAge(ticket.age_seconds);
  $("#fact-txid").textContent = ticket.txid || "\u2014";
  $("#fact-order").textContent = ticket.order_id || "\u2014";
  $("#fact-occurred").textContent = ticket.occurred_at ? formatDateTime(ticket.occurred_at) : "\u2014";
  $("#ticket-facts").hidden = false;
  const escalation = ticket.escalation;
  const box = $("#escalation-box");
  if (escalation) {
    const target = escalation.department ? t("agent.department_named", { department: escalation.department }) : tEnum("tier", "senior");
    $("#escalation-text").textContent = t(escalation.status === "pending" ? "agent.escalation_pending" : "agent.escalation_accepted",
      { target, reason: escalation.reason, time: formatDateTime(escalation.requested_at) });
    $("#accept-escalation").hidden = !(escalation.status === "pending" && mayAccept(escalation));
    box.classList.toggle("pending", escalation.status === "pending");
    box.hidden = false;
  } else {
    box.hidden = true;
  }
  renderHistory($("#history"), ticket.messages, { agentView: true, actions: redactButton });
  renderWorkspace(ticket);
  macros.refresh();
  const closed = ticket.status === "closed";
  $("#resolve").disabled = closed || ticket.status === "resolved";
  $("#agent-send").disabled = closed;
}

// What the customer sees as the conversation (not notes, not system events).
const PUBLIC_KINDS = new Set(["reply", "info_request"]);

/** The newest public message the page shows: what a reply answers. */
function newestSeen() {
  if (!ticket) return null;
  const ids = ticket.messages.filter((message) => PUBLIC_KINDS.has(message.kind)).map((message) => message.id);
  return ids.length ? Math.max(...ids) : null;
}

let loading = null;

async function load() {
  if (loading) return loading;  // one fetch at a time; a poll and a notice together ask once
  loading = (async () => {
    try {
      ticket = await api("GET", base);
      render();
      if (ticket.viewers) showViewers(ticket.viewers);
    } catch (failure) {
      failed(failure);
    } finally {
      loading = null;
    }
  })();
  return loading;
}

async function act(button, work, message) {
  hide($("#page-error"));
  button.disabled = true;
  try {
    ticket = await announce(work, t(message));
    render();
  } catch (failure) {
    failed(failure);
  } finally {
    button.disabled = false;
    if (ticket) render();   // sets what the ticket's state allows
  }
}

async function sendMessage(force) {
  const error = $("#compose-error");
  hide(error);
  hide($("#stale-box"));
  const kind = document.querySelector("input[name=kind]:checked").value;
  const text = $("#agent-body").value.trim();
  if (!text && !picker.files().length) { revealError(error, t("ticket.reply_empty"), $("#agent-body")); return; }
  // `seen_message_id`: the reply answers what the page shows; `force` once the agent confirmed.
  const fields = { body: text, kind, seen_message_id: newestSeen() ?? undefined, force: force || undefined };
  let sending = { json: fields };
  if (picker.files().length) {  // files go as a form, the same fields beside them
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, String(value));
    picker.appendTo(form);
    sending = { form };
  }
  const button = $("#agent-send");
  button.disabled = true;
  const resolving = $("#resolve-after").checked && kind !== "note";
  try {
    await announce(async () => {
      await api("POST", base + "/messages", sending);
      $("#agent-body").value = "";
      picker.clear();
      if (resolving) await api("POST", base + "/resolve");
    }, t("agent.sent_" + kind));
    $("#resolve-after").checked = false;
    await load();
  } catch (failure) {
    if (failure.code === "ticket_changed") {
      staleWarning(failure.details.new_messages || []);
    } else {
      revealError(error, errorText(failure));
      if (failure.code === "secret_detected") $("#agent-body").focus();  // nothing was sent; take it out
    }
  } finally {
    button.disabled = ticket && ticket.status === "closed";
  }
}

// Newer public messages arrived since the page loaded: show them, and send only when confirmed.
function staleWarning(messages) {
  renderHistory($("#stale-messages"), messages, { agentView: true });
  show($("#stale-box"));
  $("#stale-confirm").focus();
  load();
}

$("#agent-message-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sendMessage(false);
});
$("#stale-confirm").addEventListener("click", () => sendMessage(true));
$("#stale-cancel").addEventListener("click", () => { hide($("#stale-box")); $("#agent-body").focus(); });

// -- redaction: the text reads [redacted] for everyone, the files are deleted ----------------------

const redactForm = $("#redact-form");
let redacting = null;

const REDACTABLE = new Set(["customer", "guest", "agent"]);  // what people wrote, not the system's lines

function redactButton(message) {
  if (message.redacted || !REDACTABLE.has(message.author.role)) return null;
  return h("button", { type: "button", class: "secondary small redact", id: "redact-" + message.id,
    "aria-label": t("agent.redact_label", { id: message.id }), onclick: () => openRedaction(message) }, t("agent.redact"));
}

function openRedaction(message) {
  redacting = message.id;
  hide($("#redact-error"));
  $("#redact-heading").textContent = t("agent.redact_label", { id: message.id });
  $("#redact-reason").value = "";
  redactForm.hidden = false;
  $("#redact-reason").focus();
}

function closeRedaction() {
  redacting = null;
  redactForm.hidden = true;
}

$("#redact-cancel").addEventListener("click", closeRedaction);
redactForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("#redact-error");
  hide(error);
  const reason = $("#redact-reason").value.trim();
  if (!reason) { revealError(error, t("agent.redact_reason_missing"), $("#redact-reason")); return; }
  const button = $("#redact-confirm");
  button.disabled = true;
  try {
    await announce(() => api("POST", `${base}/messages/${encodeURIComponent(redacting)}/redaction`, { json: { reason } }),
      t("agent.redacted_done"));
    closeRedaction();
    await load();
  } catch (failure) {
    revealError(error, errorText(failure));
  } finally {
    button.disabled = false;
  }
});

$("#resolve").addEventListener("click", (event) => act(event.currentTarget, () => api("POST", base + "/resolve"), "agent.resolved"));
$("#accept-escalation").addEventListener("click", (event) => act(event.currentTarget, () => api("POST", base + "/escalation/accept"), "agent.escalation_taken"));

function assign(agentId) {
  return act($("#assign"), () => api("POST", base + "/assign", { json: { agent_id: agentId } }), agentId === null ? "agent.unassigned_done" : "agent.assigned_done");
}

$("#assign-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = $("#assign-to").value;
  if (!/^\d+$/.test(value)) { revealError($("#page-error"), t("agent.assign_hint"), $("#assign-to")); return; }
  assign(Number(value));
});
$("#assign-me").addEventListener("click", () => assign(me.id));
$("#unassign").addEventListener("click", () => assign(null));

// -- the workspace ---------------------------------------------------------------------------------

const macros = mountMacros(base, {
  ticket: () => ticket,
  filled: () => presence.typed(),
  sent: async (kind) => { await load(); done("agent.sent_" + kind); },
});
mountTags(base, (saved) => { ticket = saved && saved.messages ? saved : ticket; load(); done("tags.saved"); });
mountMerge(base, number);
const presence = startPresence(base, { textarea: $("#agent-body"), newestSeen, changed: load });

// A customer's reply on this ticket (a notice on the live stream) shows without a reload.
window.addEventListener("app:notification", (event) => {
  const link = event.detail && event.detail.link;
  if (!link) return;
  const path = new URL(link, location.origin).pathname;
  if (path.endsWith("/tickets/" + number)) load();
});

// A merge's toast came with this page (agent/workspace.js); the address loses its `?merged=`.
if (new URLSearchParams(location.search).has("merged")) history.replaceState(null, "", location.pathname);
const loadCalls = mountVideoCalls(base, { done, failed, reload: load });
fillAgents().then(() => { if (ticket) renderWorkspace(ticket); });
load();
loadCalls();
loadContext(base, number);
