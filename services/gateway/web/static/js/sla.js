// SLA timers in the agents' pages, apart from the pages' own scripts: an element with
// data-sla-ticket="<number>" gets the ticket's three targets (and its customer rating), one with
// data-sla-queue the tickets due next; the queue's rows use `timer`. Colour says the state, and the
// countdown runs every second.
import { api, errorText, formatDateTime, h, serverNow, t, tEnum } from "./core.js";

const LABELS = { first_response: "sla.first_response", next_response: "sla.next_response", resolution: "sla.resolution" };
const METRICS = Object.keys(LABELS);
const SOON = 30 * 60 * 1000;  // amber within half an hour of the due time

function duration(ms) {
  const seconds = Math.max(0, Math.round(Math.abs(ms) / 1000));
  if (seconds < 60) return seconds + " s";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return minutes + " min " + String(seconds % 60).padStart(2, "0") + " s";
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return hours + " h " + String(minutes % 60).padStart(2, "0") + " min";
  return Math.floor(hours / 24) + " d " + (hours % 24) + " h";
}

/** The state and sentence of one target now: [state, text]. */
export function describe(target) {
  if (!target) return ["idle", t("sla.not_running")];
  if (target.achieved_at) {
    const when = formatDateTime(target.achieved_at);
    return target.breached ? ["late", t("sla.achieved_late", { when })] : ["met", t("sla.achieved", { when })];
  }
  if (target.paused) return ["paused", t("sla.paused")];
  if (!target.due_at) return ["idle", t("sla.not_running")];
  const left = Date.parse(target.due_at) - serverNow();
  if (left < 0 || target.breached) return ["breached", t("sla.overdue", { time: duration(left) })];
  return [left < SOON ? "soon" : "running", t("sla.due_in", { time: duration(left) })];
}

const ticking = new Map();  // timer element -> its target
function tick() {
  for (const [node, target] of ticking) {
    if (!node.isConnected) { ticking.delete(node); continue; }
    const [state, text] = describe(target);
    node.dataset.slaState = state;
    node.textContent = text;
  }
}

/** A live timer of one target (its colour and countdown kept current every second). */
export function timer(target, attrs = {}) {
  const node = h("span", { class: "sla-timer", ...attrs });
  ticking.set(node, target);
  [node.dataset.slaState, node.textContent] = describe(target);
  return node;
}

async function fillTicket(box) {
  const number = box.dataset.slaTicket;
  try {
    const ticket = await api("GET", "/api/v1/agent/tickets/" + encodeURIComponent(number));
    const rows = METRICS.map((metric) => h("div", { class: "sla-row" },
      h("dt", {}, t(LABELS[metric])),
      h("dd", {}, timer(ticket.sla ? ticket.sla[metric] : null, { id: "sla-" + metric.replace("_", "-") }))));
    const rating = ticket.satisfaction
      ? h("p", { id: "sla-rating", class: "sla-rating", dataset: { rating: ticket.satisfaction.rating } },
        t("sla.rating", { rating: tEnum("satisfaction", ticket.satisfaction.rating) }),
        ticket.satisfaction.comment ? h("q", {}, ticket.satisfaction.comment) : null)
      : null;
    box.replaceChildren(...[h("h2", {}, t("sla.heading")), h("dl", { class: "sla-timers" }, rows), rating].filter(Boolean));
  } catch (failure) {
    box.replaceChildren(h("p", { class: "error" }, failure.status === 404 ? errorText(failure) : t("sla.unavailable")));
  }
  box.hidden = false;
  tick();
}

async function fillQueue(box) {
  try {
    const data = await api("GET", "/api/v1/agent/tickets?status=open,awaiting_user&sort=sla&limit=10");
    const due = data.items.filter((item) => item.sla_due_at);
    const list = due.map((item) => h("li", {},
      h("a", { href: "/agent/tickets/" + encodeURIComponent(item.number) }, "#" + item.number), " ",
      h("span", { class: "sla-subject" }, item.subject), " ",
      timer({ due_at: item.sla_due_at, achieved_at: null, paused: false, breached: false },
        { dataset: { number: item.number } })));
    box.replaceChildren(h("h2", {}, t("sla.queue_heading")),
      list.length ? h("ol", { class: "sla-queue", id: "sla-queue-list" }, list) : h("p", { class: "hint" }, t("sla.queue_empty")));
  } catch (failure) {
    box.replaceChildren(h("p", { class: "error" }, t("sla.unavailable")));
  }
  box.hidden = false;
  tick();
}

document.querySelectorAll("[data-sla-ticket]").forEach(fillTicket);
document.querySelectorAll("[data-sla-queue]").forEach(fillQueue);
setInterval(tick, 1000);
