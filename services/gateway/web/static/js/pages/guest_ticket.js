// The guest's ticket page (web/guest_ticket.html). The server renders the code steps and the
// ticket so that they work without a script; here the verified page gets the site's own
// attachment picker, live updates (the guest ticket's API, polled) and replies without a reload.
import { $, api, page, revealError, t, tEnum } from "../core.js";
import { renderHistory } from "../history.js";
import { mountReplyForm } from "../reply_form.js";

const POLL_MS = 5000;
const root = $("#guest-page");
const number = page.number;
const path = "/api/v1/tickets/" + encodeURIComponent(number);

// Once this browser is verified for the ticket, the link's token has no business in the
// address bar or the history: it is swapped for the bare page address.
if (root.dataset.verified === "true" && new URLSearchParams(location.search).has("t")) {
  history.replaceState(null, "", location.pathname + location.hash);
}

// A form sent once is not sent twice by an impatient second tap (the code steps post natively).
for (const form of document.querySelectorAll("#send-code-form, #code-form, #rating-form")) {
  form.addEventListener("submit", () => {
    const button = form.querySelector("button[type=submit]");
    if (button) setTimeout(() => { button.disabled = true; }, 0);
  });
}
const shownError = $("#error");
if (shownError) revealError(shownError);

let status = root.querySelector("#status") && $("#status").dataset.status;

function render(ticket) {
  const badge = $("#status");
  badge.textContent = tEnum("status", ticket.status);
  badge.className = "status-badge " + ticket.status;
  badge.dataset.status = ticket.status;
  renderHistory($("#history"), ticket.messages);
  if (ticket.status !== status && (ticket.status === "closed" || ticket.status === "resolved")) {
    // The reply box and the rating are the server's to lay out for a finished ticket.
    location.reload();
  }
  status = ticket.status;
}

async function refresh() {
  try {
    render(await api("GET", path));
  } catch (failure) {
    if (failure.status === 401 || failure.status === 403) location.reload();  // the session ended
  }
}

function poll() {
  setTimeout(async () => {
    if (!document.hidden) await refresh();
    poll();
  }, POLL_MS);
}

if (root.dataset.view === "ticket") {
  mountReplyForm({
    path, prefix: "guest", textarea: "#body", emptyText: t("guest.error_reply_failed"), sentText: t("guest.reply_sent"),
    sent: refresh, closed: () => location.reload(),
  });
  poll();
}
