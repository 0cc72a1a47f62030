// The customer's rating of a resolved ticket, apart from the ticket page's own script: the element
// with data-rating-ticket="<number>" gets the form (good or bad, a comment) while the rating may
// still change, and the rating given once it is final. Nothing rates on a GET.
import { announce, api, errorText, formatDateTime, h, revealError, serverNow, t } from "./core.js";

function choice(value, current) {
  return h("label", {},
    h("input", { type: "radio", name: "rating", value, id: "rating-" + value, required: true, checked: current === value }),
    " ", t("satisfaction." + value));
}

function render(box, ticket) {
  const rating = ticket.satisfaction;
  const resolved = ticket.status === "resolved" || ticket.status === "closed";
  if (!resolved) { box.hidden = true; return; }
  const parts = [h("h2", { id: "rating-heading" }, t("satisfaction.heading"))];
  if (rating) {
    parts.push(h("p", { id: "rating-current", tabindex: "-1", dataset: { rating: rating.rating } },
      t("satisfaction.current", { rating: t("satisfaction." + rating.rating) })));
  }
  const locked = rating && (rating.locked || (rating.changeable_until && Date.parse(rating.changeable_until) < serverNow()));
  if (locked) {
    parts.push(h("p", { id: "rating-locked" }, t("satisfaction.locked")));
    box.replaceChildren(...parts);
    box.hidden = false;
    return;
  }
  if (rating && rating.changeable_until) {
    parts.push(h("p", { class: "hint" }, t("satisfaction.changeable_until", { when: formatDateTime(rating.changeable_until) })));
  } else {
    parts.push(h("p", { class: "hint" }, t("satisfaction.intro")));
  }
  const error = h("p", { class: "error", role: "alert", id: "rating-error", hidden: true });
  const comment = h("textarea", { id: "rating-comment", rows: 3, maxlength: 2000 });
  comment.value = rating && rating.comment ? rating.comment : "";
  const form = h("form", { id: "rating-form", novalidate: true },
    error,
    h("fieldset", { class: "rating-choices" }, h("legend", {}, t("satisfaction.rating")),
      choice("good", rating && rating.rating), choice("bad", rating && rating.rating)),
    h("label", { for: "rating-comment" }, t("satisfaction.comment")), comment,
    h("button", { type: "submit", id: "send-rating" }, rating ? t("satisfaction.change") : t("satisfaction.submit")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const picked = form.querySelector("input[name=rating]:checked");
    if (!picked) { revealError(error, t("error.validation_error")); return; }
    try {
      const answer = await announce(() => api("POST", "/api/v1/tickets/" + encodeURIComponent(ticket.number) + "/satisfaction",
        { json: { rating: picked.value, comment: comment.value.trim() || null } }), t("satisfaction.thanks"));
      render(box, { ...ticket, satisfaction: answer.satisfaction });
      document.getElementById("rating-current")?.focus();  // the form it replaced had the focus
    } catch (failure) {
      revealError(error, errorText(failure));
    }
  });
  parts.push(form);
  box.replaceChildren(...parts);
  box.hidden = false;
}

async function fill(box) {
  try {
    const ticket = await api("GET", "/api/v1/tickets/" + encodeURIComponent(box.dataset.ratingTicket));
    render(box, ticket);
  } catch {
    box.hidden = true;  // the page itself says what went wrong with the ticket
  }
}

document.querySelectorAll("[data-rating-ticket]").forEach(fill);
