// The ticket page's workspace panels: who holds it (reassign by name from the directory), its
// tags, merging it into another ticket, "merged into" on a merged one, and the requester's context.
import { $, announceOnNextPage, api, errorText, formatDateTime, h, hide, lang, page, revealError, show, t, tEnum } from "../core.js";
import { directory } from "./bar.js";

const me = page.user;

export function assigneeName(ticket) {
  const assignee = ticket.assignee || (ticket.assignee_id != null ? { id: ticket.assignee_id } : null);
  if (!assignee) return t("agent.unassigned");
  if (assignee.id === me.id) return t("agent.assignee_me");
  return assignee.name || t("agent.agent_number", { id: assignee.id });
}

function targetNumber(merged) {
  return merged && typeof merged === "object" ? merged.number : merged;
}

export function renderWorkspace(ticket) {
  const tags = ticket.tags || [];
  $("#fact-tags").replaceChildren(...(tags.length
    ? tags.map((tag) => h("a", { class: "tag", href: "/agent?" + new URLSearchParams({ tag }) }, tag))
    : ["\u2014"]));
  const input = $("#tags-input");
  if (document.activeElement !== input) input.value = tags.join(", ");
  const into = targetNumber(ticket.merged_into);
  if (into) {
    $("#merged-text").textContent = t("merge.merged_into", { number: into });
    const link = $("#merged-link");
    link.href = "/agent/tickets/" + encodeURIComponent(into);
    link.textContent = t("merge.open_target", { number: into });
    show($("#merged-note"));
  } else {
    hide($("#merged-note"));
  }
  $("#merge-submit").disabled = Boolean(into) || ticket.status === "closed";
  const select = $("#assign-to");
  const held = ticket.assignee ? ticket.assignee.id : ticket.assignee_id;
  if (held != null && document.activeElement !== select && select.querySelector(`option[value="${held}"]`)) select.value = String(held);
}

function agentOption(agent) {
  const where = [tEnum("tier", agent.tier), agent.department].filter(Boolean).join(" \u00b7 ");
  const label = t("agent.directory_entry", { name: agent.name || agent.email, where,
    status: tEnum("agent_status", agent.status), open: agent.open_assigned });
  return h("option", { value: String(agent.id), dataset: { status: agent.status } }, label);
}

export async function fillAgents() {
  const select = $("#assign-to");
  try {
    const agents = await directory();
    const sorted = agents.filter((agent) => agent.active !== false).sort((a, b) => (a.name || a.email).localeCompare(b.name || b.email, lang));
    select.replaceChildren(h("option", { value: "" }, t("agent.choose_agent")), ...sorted.map(agentOption));
  } catch (failure) {
    show($("#page-error"), errorText(failure));
  }
}

/** Tags: words separated by commas, saved together. `saved(ticket)` gets the answer. */
export function mountTags(base, saved) {
  $("#tags-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("#tags-error");
    hide(error);
    const tags = [...new Set($("#tags-input").value.split(",").map((tag) => tag.trim().toLowerCase()).filter(Boolean))];
    const button = $("#tags-save");
    button.disabled = true;
    try {
      saved(await api("PUT", base + "/tags", { json: { tags } }));
    } catch (failure) {
      revealError(error, errorText(failure));
      $("#tags-input").focus();
    } finally {
      button.disabled = false;
    }
  });
}

/** Merging asks once more, naming both tickets; done, the page goes to the target. */
export function mountMerge(base, number) {
  const input = $("#merge-into");
  const error = $("#merge-error");
  const question = $("#merge-question");
  const confirmButton = $("#merge-confirm");
  const cancel = $("#merge-cancel");
  const asking = (on) => { question.hidden = confirmButton.hidden = cancel.hidden = !on; $("#merge-submit").hidden = on; };
  $("#merge-form").addEventListener("submit", (event) => {
    event.preventDefault();
    hide(error);
    const into = input.value.trim();
    if (!/^\d{4,12}$/.test(into) || into === number) { revealError(error, t("merge.bad_number"), input); return; }
    question.textContent = t("merge.question", { number, into });
    asking(true);
    confirmButton.focus();
  });
  cancel.addEventListener("click", () => { asking(false); input.focus(); });
  confirmButton.addEventListener("click", async () => {
    const into = input.value.trim();
    confirmButton.disabled = true;
    try {
      await api("POST", base + "/merge", { json: { into } });
      announceOnNextPage(t("merge.done", { number }));
      location.assign("/agent/tickets/" + encodeURIComponent(into) + "?merged=" + encodeURIComponent(number));
    } catch (failure) {
      asking(false);
      revealError(error, errorText(failure));
    } finally {
      confirmButton.disabled = false;
    }
  });
}

// -- the requester's context --------------------------------------------------------------------

function callsText(calls) {
  if (!calls || !calls.total) return t("context.calls_none");
  const last = calls.last;
  if (!last) return String(calls.total);
  return t("context.calls_summary", { total: calls.total, status: tEnum("call_status", last.status),
    time: formatDateTime(last.slot_start || last.at) });
}

function referralText(referral) {
  if (!referral || referral.eligible == null) return t("context.referral_unknown");
  if (referral.eligible) return t("context.referral_eligible", { invitees: referral.invitees ?? 0 });
  const why = { sub_account: t("context.reason_sub_account"), restricted_region: t("context.reason_restricted_region") }[referral.reason];
  return t("context.referral_not_eligible", { invitees: referral.invitees ?? 0 }) + (why ? " \u2014 " + why : "");
}

function accountText(isSub) {
  if (isSub == null) return "\u2014";
  return t(isSub ? "context.sub_account" : "context.main_account");
}

function fact(term, value, id) {
  return [h("dt", {}, term), h("dd", { id }, value)];
}

function recentList(tickets, current) {
  const recent = ((tickets && tickets.recent) || []).filter((item) => item.number !== current);
  return recent.map((item) => h("li", {},
    h("a", { href: "/agent/tickets/" + encodeURIComponent(item.number) }, t("ticket.number_short", { number: item.number })),
    " ", item.subject || "", item.status ? h("span", { class: "status-badge " + item.status }, tEnum("status", item.status)) : null));
}

function ticketCounts(tickets) {
  return tickets ? t("context.ticket_counts", { open: tickets.open ?? 0, total: tickets.total ?? 0 }) : "\u2014";
}

export async function loadContext(base, number) {
  const panel = $("#context");
  try {
    const data = await api("GET", base + "/context");
    let rows;
    let tickets;
    if (data.guest || !data.requester) {
      tickets = data.tickets;
      rows = [fact(t("context.kind"), t("requester_kind.guest"), "ctx-kind"), fact(t("context.email"), data.email || "", "ctx-email"),
        fact(t("context.tickets"), ticketCounts(tickets), "ctx-tickets"),
        fact(t("context.video_calls"), callsText(data.video_calls), "ctx-calls")];
    } else {
      const who = data.requester;
      tickets = who.tickets;
      rows = [
        fact(t("context.email"), who.email || "", "ctx-email"),
        fact(t("context.since"), who.registered_at ? formatDateTime(who.registered_at) : "\u2014", "ctx-since"),
        fact(t("context.region"), who.region || "\u2014", "ctx-region"),
        fact(t("context.language"), who.locale ? (tEnumSafe("lang", who.locale)) : "\u2014", "ctx-locale"),
        fact(t("context.account"), accountText(who.is_sub_account), "ctx-account"),
        fact(t("context.tickets"), ticketCounts(tickets), "ctx-tickets"),
        fact(t("context.video_calls"), callsText(who.video_calls), "ctx-calls"),
        fact(t("context.referral"), referralText(who.referral), "ctx-referral"),
      ];
    }
    $("#context-facts").replaceChildren(...rows.flat());
    $("#context-recent").replaceChildren(...recentList(tickets, number));
  } catch (failure) {
    show($("#context-error"), errorText(failure));
  } finally {
    panel.removeAttribute("aria-busy");
  }
}

function tEnumSafe(prefix, value) {
  return ["en", "es", "zh-Hant"].includes(value) ? tEnum(prefix, value) : value;
}
