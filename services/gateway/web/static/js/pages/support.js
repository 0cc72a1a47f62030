// The support center: help-center search, active items (video calls, tickets waiting
// for the customer) and the latest tickets.
import { $, api, errorText, h, lang, page, show, t } from "../core.js";
import { mountCalls } from "../video_cards.js";
import { ticketRow } from "../tickets_list.js";

async function searchHelp(event) {
  event.preventDefault();
  const q = $("#help-q").value.trim();
  const results = $("#help-results");
  if (!q) { results.replaceChildren(); return; }
  results.replaceChildren(h("p", { class: "hint" }, t("help.searching")));
  try {
    const data = await api("GET", `/api/v1/help/articles?q=${encodeURIComponent(q)}&locale=${encodeURIComponent(lang)}`);
    if (!data.items.length) {
      results.replaceChildren(h("p", { class: "hint", id: "help-no-results" }, t("help.no_results")));
      return;
    }
    results.replaceChildren(
      h("p", { class: "hint" }, t("help.results", { count: data.items.length })),
      h("ul", { class: "articles", id: "help-result-list" }, data.items.map((article) => h("li", {},
        h("a", { href: "/help/articles/" + encodeURIComponent(article.slug) }, article.title),
        article.summary ? h("p", { class: "hint" }, article.summary) : null))));
  } catch (failure) {
    results.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(failure)));
  }
}

async function loadTickets() {
  try {
    const [recent, awaiting] = await Promise.all([
      api("GET", "/api/v1/tickets?limit=5"),
      api("GET", "/api/v1/tickets?status=awaiting_user&limit=10"),
    ]);
    $("#recent-tickets").replaceChildren(...recent.items.map(ticketRow));
    $("#recent-empty").hidden = recent.items.length > 0;
    $("#awaiting-tickets").replaceChildren(...awaiting.items.map((ticket) => {
      const row = ticketRow(ticket);
      row.prepend(h("span", { class: "tag" }, t("support.needs_your_reply")));
      return row;
    }));
    return awaiting.items.length;
  } catch (failure) {
    show($("#active-empty"), errorText(failure));
    return 0;
  }
}

$("#help-search").addEventListener("submit", searchHelp);
if (page.user) {
  let waiting = 0;
  let calls = 0;
  const updateEmpty = () => { $("#active-empty").hidden = waiting + calls > 0; };
  loadTickets().then((count) => { waiting = count; updateEmpty(); });
  mountCalls($("#calls"), { activeOnly: true, onRender: (count) => { calls = count; updateEmpty(); } });
  window.addEventListener("app:notification", () => loadTickets().then((count) => { waiting = count; updateEmpty(); }));
}
