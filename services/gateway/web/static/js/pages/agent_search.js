// The search box's results: tickets by number, TXID, order number, requester email, tag or
// words of the subject and messages.
import { $, api, errorText, h, page, show, t, tEnum } from "../core.js";

function cell(label, ...content) {
  return h("td", { "data-label": label }, ...content);
}

function requesterOf(ticket) {
  const requester = ticket.requester || {};
  return requester.email || requester.name || "\u2014";
}

function assigneeOf(ticket) {
  if (ticket.assignee) return ticket.assignee.id === page.user.id ? t("agent.assignee_me") : ticket.assignee.name;
  if (ticket.assignee_id == null) return t("agent.unassigned");
  return ticket.assignee_id === page.user.id ? t("agent.assignee_me") : t("agent.agent_number", { id: ticket.assignee_id });
}

function row(ticket) {
  const tags = ticket.tags || [];
  return h("tr", { id: "result-" + ticket.number, dataset: { status: ticket.status } },
    cell(t("ticket.number"), h("a", { href: "/agent/tickets/" + encodeURIComponent(ticket.number) }, ticket.number)),
    cell(t("new_ticket.subject"), ticket.subject),
    cell(t("ticket.status"), h("span", { class: "status-badge " + ticket.status }, tEnum("status", ticket.status))),
    cell(t("agent.requester"), requesterOf(ticket)),
    cell(t("tags.title"), ...(tags.length ? tags.map((tag) => h("span", { class: "tag" }, tag)) : ["\u2014"])),
    cell(t("agent.assignee"), assigneeOf(ticket)));
}

async function search() {
  const summary = $("#search-summary");
  if (!page.q) { summary.textContent = t("search.empty_query"); $("#agent-search-q").focus(); return; }
  summary.textContent = t("search.searching", { q: page.q });
  try {
    const data = await api("GET", "/api/v1/agent/search?" + new URLSearchParams({ q: page.q }));
    $("#result-rows").replaceChildren(...data.items.map(row));
    const count = data.items.length;
    summary.textContent = count === 0 ? t("search.none", { q: page.q })
      : count === 1 ? t("search.found_one", { q: page.q }) : t("search.found", { count, q: page.q });
  } catch (failure) {
    summary.textContent = "";
    show($("#search-error"), errorText(failure));
  }
}

search();
