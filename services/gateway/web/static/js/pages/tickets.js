// "My tickets": open and closed, newest activity first, filtered by status.
import { $, api, errorText, hide, show } from "../core.js";
import { ticketRow } from "../tickets_list.js";

const filter = $("#status-filter");
let cursor = null;

let generation = 0;  // a newer request makes an older answer stale

async function load(more = false) {
  const mine = ++generation;
  const params = new URLSearchParams({ limit: "20" });
  if (filter.value) params.set("status", filter.value);
  if (more && cursor) params.set("cursor", cursor);
  hide($("#list-error"));
  try {
    const data = await api("GET", "/api/v1/tickets?" + params);
    if (mine !== generation) return;
    const rows = data.items.map(ticketRow);
    if (more) $("#ticket-list").append(...rows); else $("#ticket-list").replaceChildren(...rows);
    cursor = data.next_cursor;
    $("#load-more").hidden = !cursor;
    $("#list-empty").hidden = $("#ticket-list").children.length > 0;
  } catch (failure) {
    show($("#list-error"), errorText(failure));
  }
}

const initial = new URLSearchParams(location.search).get("status");
if (initial && [...filter.options].some((option) => option.value === initial)) filter.value = initial;
filter.addEventListener("change", () => {
  const url = new URL(location.href);
  if (filter.value) url.searchParams.set("status", filter.value); else url.searchParams.delete("status");
  history.replaceState(null, "", url);
  load();
});
$("#load-more").addEventListener("click", () => load(true));
load();
