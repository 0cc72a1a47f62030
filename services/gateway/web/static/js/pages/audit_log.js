// The supervisors' audit log: the events newest first, filtered, and the same filters as a CSV download.
import { $, api, errorText, h, hide, show, t, timeElement } from "../core.js";

const form = $("#audit-filters");
const body = $("#audit-rows");
let cursor = null;
let generation = 0;  // a newer request makes an older answer stale

function filters() {
  const query = new URLSearchParams();
  for (const element of form.elements) {
    const value = element.name ? element.value.trim() : "";
    if (!value) continue;
    // A datetime-local field has no zone: the form says UTC, and so does the query.
    query.set(element.name, element.type === "datetime-local" ? value + (value.length === 16 ? ":00Z" : "Z") : value);
  }
  return query;
}

function actorText(actor) {
  if (!actor || (actor.id === null && !actor.email)) return "\u2014";
  return [actor.email || "#" + actor.id, actor.role ? "(" + actor.role + ")" : ""].join(" ").trim();
}

function targetText(target) {
  if (!target) return "\u2014";
  const parts = [];
  if (target.type) parts.push(target.id ? target.type + " " + target.id : target.type);
  if (target.ticket_number && target.ticket_number !== target.id) parts.push("#" + target.ticket_number);
  return parts.join(" \u00B7 ") || "\u2014";
}

function row(event) {
  const details = Object.keys(event.details || {}).length ? JSON.stringify(event.details) : "\u2014";
  return h("tr", { id: "audit-" + event.id },
    h("td", { "data-label": t("audit.at") }, timeElement(event.at)),
    h("td", { "data-label": t("audit.actor") }, actorText(event.actor)),
    h("td", { "data-label": t("audit.action") }, h("code", {}, event.action)),
    h("td", { "data-label": t("audit.target") }, targetText(event.target)),
    h("td", { "data-label": t("audit.ip") }, event.ip || "\u2014"),
    h("td", { "data-label": t("audit.details") }, h("code", { class: "details" }, details)));
}

async function load(more = false) {
  const mine = ++generation;
  hide($("#audit-error"));
  const query = filters();
  const asked = query.toString();
  $("#download-csv").href = "/api/v1/admin/audit-events.csv" + (asked ? "?" + asked : "");
  query.set("limit", "50");
  if (more && cursor) query.set("cursor", cursor);
  try {
    const data = await api("GET", "/api/v1/admin/audit-events?" + query);
    if (mine !== generation) return;
    const rows = data.items.map(row);
    if (more) body.append(...rows); else body.replaceChildren(...rows);
    cursor = data.next_cursor;
    $("#audit-more").hidden = !cursor;
    $("#audit-empty").hidden = body.children.length > 0;
  } catch (failure) {
    show($("#audit-error"), errorText(failure));
  }
}

form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
$("#audit-more").addEventListener("click", () => load(true));
load();
