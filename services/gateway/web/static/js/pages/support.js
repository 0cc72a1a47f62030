// The support center: help-center search, active items (video calls, tickets waiting
// for the customer) and the latest tickets.
import { $, api, errorText, h, page, show, t } from "../core.js";
import { mountCalls } from "../video_cards.js";
import { ticketRow } from "../tickets_list.js";
import { mountHelpSearch } from "../help_search.js";

async function loadTickets() {
  try {
    const [recent, awaiting] = await Promise.all([
      api("GET", "/api/v1/tickets?limit=5"),
      api("GET", "/api/v1/tickets?status=awaiting_user&limit=10"),
    ]);
    $("#recent-tickets").replaceChildren(...recent.items.map(ticketRow));
    $("#recent-empty").hidden = recent.items.length > 0;
    $("#recent-tickets").removeAttribute("aria-busy");
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

mountHelpSearch();
if (page.user) {
  let waiting = 0;
  let calls = 0;
  let pending = 2;  // the tickets and the calls: the section keeps its room until both are in
  const updateEmpty = () => {
    $("#active-empty").hidden = waiting + calls > 0;
    if (--pending <= 0) $("#active-items").removeAttribute("aria-busy");
  };
  loadTickets().then((count) => { waiting = count; updateEmpty(); });
  mountCalls($("#calls"), { activeOnly: true, onRender: (count) => { calls = count; updateEmpty(); } });
  window.addEventListener("app:notification", () => loadTickets().then((count) => { waiting = count; updateEmpty(); }));
}
