// Assets > Capital Flows: the funding account's ledger, pending then credited.
import { $, api, errorText, formatDateTime, has, h, show, t, tEnum } from "../core.js";

const rows = $("#flow-rows");
let cursor = null;

function typeText(type) {
  return has("flow_type." + type) ? tEnum("flow_type", type) : t("flow_type.other");
}

function row(entry) {
  return h("tr", { id: "flow-" + entry.id, dataset: { status: entry.status } },
    h("td", { "data-label": t("flows.time") }, formatDateTime(entry.created_at)),
    h("td", { "data-label": t("flows.type") }, typeText(entry.type)),
    h("td", { "data-label": t("flows.asset") }, entry.asset),
    h("td", { class: "num mono", "data-label": t("flows.amount") }, "+" + entry.amount),
    h("td", { "data-label": t("flows.status") }, h("span", { class: "status-badge " + entry.status }, tEnum("flow_status", entry.status))),
    h("td", { "data-label": t("flows.credited_at") }, entry.credited_at ? formatDateTime(entry.credited_at) : "\u2014"));
}

async function load(more = false) {
  try {
    const data = await api("GET", "/api/v1/assets/capital-flows?limit=50" + (more && cursor ? "&cursor=" + cursor : ""));
    const items = data.items.map(row);
    if (more) rows.append(...items); else rows.replaceChildren(...items);
    cursor = data.next_cursor;
    $("#load-more").hidden = !cursor;
    $("#flows-empty").hidden = rows.children.length > 0;
  } catch (failure) {
    show($("#flows-error"), errorText(failure));
  }
}

$("#load-more").addEventListener("click", () => load(true));
load();
// Pending rewards are credited within the hour (usually seconds): keep the page current.
setInterval(() => { if (rows.querySelector('[data-status="pending"]')) load(); }, 5000);
