// The agents' queues: filtered by status, tier, department, assignee, age and escalation, newest first or
// by the nearest SLA due time (`?sort=sla`), each row with its SLA countdown.
import { $, api, errorText, formatAge, h, hide, page, show, t, tEnum } from "../core.js";
import { timer } from "../sla.js";

const form = $("#queue-filters");
const body = $("#queue-rows");
let cursor = null;

const VIEWS = {
  queue: { status: "open,awaiting_user", assignee: "", escalated: "" },
  mine: { status: "open,awaiting_user", assignee: "me", escalated: "" },
  escalated: { status: "", assignee: "", escalated: "true" },
};

function assigneeText(ticket) {
  if (ticket.assignee_id === null || ticket.assignee_id === undefined) return t("agent.unassigned");
  if (ticket.assignee_id === page.user.id) return t("agent.assignee_me");
  if (ticket.assignee && ticket.assignee.name) return ticket.assignee.name;
  return t("agent.agent_number", { id: ticket.assignee_id });
}

function row(ticket) {
  const pending = ticket.escalation && ticket.escalation.status === "pending";
  return h("tr", { id: "queue-" + ticket.number, dataset: { status: ticket.status } },
    h("td", { "data-label": t("ticket.number") }, h("a", { href: "/agent/tickets/" + encodeURIComponent(ticket.number) }, ticket.number)),
    h("td", { "data-label": t("new_ticket.subject") }, ticket.subject, pending ? h("span", { class: "tag escalated" }, t("agent.escalated_tag")) : null,
      (ticket.tags || []).map((tag) => h("span", { class: "tag" }, tag))),
    h("td", { "data-label": t("ticket.status") }, h("span", { class: "status-badge " + ticket.status }, tEnum("status", ticket.status))),
    h("td", { "data-label": t("agent.tier") }, tEnum("tier", ticket.tier)),
    h("td", { "data-label": t("agent.department") }, ticket.department || "\u2014"),
    h("td", { "data-label": t("agent.assignee") }, assigneeText(ticket)),
    h("td", { "data-label": t("agent.age") }, formatAge(ticket.age_seconds)),
    h("td", { "data-label": t("agent.sla_due") }, ticket.sla_due_at
      ? timer({ due_at: ticket.sla_due_at, achieved_at: null, paused: false, breached: false }, { dataset: { due: ticket.sla_due_at } })
      : "\u2014"));
}

function params(more) {
  const query = new URLSearchParams({ limit: "25" });
  for (const element of form.elements) {
    if (element.name && element.value.trim()) query.set(element.name, element.value.trim());
  }
  if (more && cursor) query.set("cursor", cursor);
  return query;
}

let generation = 0;  // a newer request makes an older answer stale

async function load(more = false) {
  const mine = ++generation;
  hide($("#queue-error"));
  try {
    const data = await api("GET", "/api/v1/agent/tickets?" + params(more));
    if (mine !== generation) return;
    const rows = data.items.map(row);
    if (more) body.append(...rows); else body.replaceChildren(...rows);
    cursor = data.next_cursor;
    $("#load-more").hidden = !cursor;
    $("#queue-empty").hidden = body.children.length > 0;
  } catch (failure) {
    show($("#queue-error"), errorText(failure));
  }
}

function choose(view) {
  for (const tab of document.querySelectorAll(".tab")) tab.setAttribute("aria-pressed", String(tab.dataset.view === view));
  const preset = VIEWS[view];
  $("#f-status").value = preset.status;
  $("#f-assignee").value = preset.assignee;
  $("#f-escalated").value = preset.escalated;
  load();
}

document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => choose(tab.dataset.view)));
form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
$("#load-more").addEventListener("click", () => load(true));
if (page.tag) $("#f-tag").value = page.tag;  // a tag's link on a ticket: the queue of that tag
choose("queue");
