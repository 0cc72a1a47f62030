// A new ticket, logged in or as a guest: category, subject, description, TXID, order
// number, the time of the problem, attachments; the likely help articles as one writes.
import { $, announceOnNextPage, api, ApiError, clearFieldErrors, errorText, h, hide, lang, revealError, show, showFieldErrors, t } from "../core.js";
import { attachmentPicker } from "../attachments.js";

const form = $("#ticket-form");
const guest = form.dataset.guest === "true";
const picker = attachmentPicker("ticket");
const TXID = /^[A-Za-z0-9:_\-]{8,128}$/;
const ORDER_ID = /^[A-Za-z0-9_\-]{1,64}$/;

// -- suggestions while writing ------------------------------------------------------------------

let suggestTimer = null;
let lastAsked = "";

async function suggest() {
  const text = `${$("#subject").value} ${$("#description").value}`.trim();
  if (text.length < 8 || text === lastAsked) return;
  lastAsked = text;
  try {
    const data = await api("GET", `/api/v1/help/suggestions?text=${encodeURIComponent(text.slice(0, 500))}&locale=${encodeURIComponent(lang)}`);
    const box = $("#suggestions");
    $("#suggestion-list").replaceChildren(...data.items.map((article) => h("li", {},
      h("a", { href: "/help/articles/" + encodeURIComponent(article.slug), target: "_blank", rel: "noopener" }, article.title))));
    box.hidden = data.items.length === 0;
  } catch (ignored) {
    // Suggestions are a help, never in the way.
  }
}

for (const id of ["#subject", "#description"]) {
  $(id).addEventListener("input", () => {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(suggest, 600);
  });
}

// -- sending ----------------------------------------------------------------------------------

function localChecks(values) {
  const fields = {};
  if (guest && !/^[^@\s]+@[^@\s]+$/.test(values.email)) fields.email = ["invalid"];
  if (!values.category) fields.category = ["required"];
  if (values.subject.length < 3) fields.subject = ["short"];
  if (!values.description) fields.description = ["required"];
  if (values.txid && !TXID.test(values.txid)) fields.txid = ["format"];
  if (values.order_id && !ORDER_ID.test(values.order_id)) fields.order_id = ["format"];
  if (values.occurred_at && new Date(values.occurred_at) > new Date()) fields.occurred_at = ["future"];
  return fields;
}

// A wallet secret was found: nothing was sent or kept. The message says why and what to do;
// the fields that hold it are marked so that the person can take it out.
function secretMessage(failure) {
  for (const name of failure.details.fields || []) {
    const input = form.querySelector("#" + CSS.escape(name));
    if (input) input.setAttribute("aria-invalid", "true");
  }
  revealError($("#form-error"), errorText(failure), form.querySelector("[aria-invalid=true]"));
}

function duplicateMessage(failure) {
  const number = failure.details.ticket_number;
  const box = $("#form-error");
  box.replaceChildren(t("error.duplicate_ticket", { number }));
  if (!guest) {
    box.append(" ", h("a", { href: "/support/tickets/" + encodeURIComponent(number), id: "duplicate-link" }, t("new_ticket.open_existing", { number })));
  }
  revealError(box);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearFieldErrors(form);
  const error = $("#form-error");
  hide(error);
  const values = {
    email: guest ? $("#email").value.trim() : "",
    category: $("#category").value,
    subject: $("#subject").value.trim(),
    description: $("#description").value.trim(),
    txid: $("#txid").value.trim(),
    order_id: $("#order_id").value.trim(),
    occurred_at: $("#occurred_at").value,
  };
  const problems = localChecks(values);
  if (Object.keys(problems).length) {
    showFieldErrors(form, { details: { fields: problems } });
    form.querySelector("[aria-invalid=true]").focus();
    return;
  }
  const body = new FormData();
  if (guest) body.append("email", values.email);
  body.append("category", values.category);
  body.append("subject", values.subject);
  body.append("description", values.description);
  if (values.txid) body.append("txid", values.txid);
  if (values.order_id) body.append("order_id", values.order_id);
  if (values.occurred_at) body.append("occurred_at", new Date(values.occurred_at).toISOString());
  body.append("locale", lang);
  picker.appendTo(body);
  const button = $("#submit-ticket");
  button.disabled = true;
  try {
    const answer = await api("POST", guest ? "/api/v1/guest/tickets" : "/api/v1/tickets", { form: body });
    if (guest) {
      form.hidden = true;
      show($("#ticket-done"), t("new_ticket.guest_done", { number: answer.number, email: values.email }));
      $("#ticket-done").focus();
      return;
    }
    const number = answer.ticket.number;
    try {
      sessionStorage.setItem("support.created." + number, JSON.stringify(answer.similar_open_tickets || []));
    } catch (unavailable) { /* the hint is optional */ }
    // The ticket's page says it, once (a toast); it also lists the similar tickets still open.
    announceOnNextPage(t("ticket.created", { number }));
    location.assign(`/support/tickets/${encodeURIComponent(number)}?created=1`);
  } catch (failure) {
    button.disabled = false;
    if (failure instanceof ApiError && failure.code === "duplicate_ticket") {
      duplicateMessage(failure);
      return;
    }
    if (failure instanceof ApiError && failure.code === "secret_detected") {
      secretMessage(failure);
      return;
    }
    showFieldErrors(form, failure);
    revealError(error, errorText(failure), form.querySelector("[aria-invalid=true]"));
  }
});
