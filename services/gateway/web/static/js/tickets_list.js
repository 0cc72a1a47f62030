// One row of a customer's ticket list.
import { formatDateTime, h, t, tEnum } from "./core.js";

export function ticketRow(ticket) {
  return h("li", { class: "ticket-row", dataset: { number: ticket.number, status: ticket.status } },
    h("a", { href: "/support/tickets/" + encodeURIComponent(ticket.number), class: "ticket-link" },
      h("span", { class: "ticket-subject" }, ticket.subject),
      h("span", { class: "ticket-meta" }, t("ticket.number_short", { number: ticket.number }), " · ",
        tEnum("category", ticket.category), " · ", formatDateTime(ticket.updated_at))),
    h("span", { class: "status-badge " + ticket.status }, tEnum("status", ticket.status)));
}
