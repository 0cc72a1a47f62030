// The reply box of a ticket, one for the customer's page (pages/ticket.js) and the guest's
// (pages/guest_ticket.js): the text and the attachment picker sent as one form, an empty reply
// explained in view with the focus on the text, one toast once it went out (core.js `announce`),
// and a refusal shown where the form is.
import { $, announce, api, errorText, hide, revealError } from "./core.js";
import { attachmentPicker } from "./attachments.js";

/**
 * Wire the page's `#reply-form` (with `#reply-error`, `#send-reply`, the picker named `prefix`
 * and the `textarea` selector) to POST `path`/messages. `emptyText` and `sentText` are the page's
 * own sentences; `sent()` refreshes the page after a reply, `closed()` when the ticket was closed
 * meanwhile. Returns false when the page has no reply form (a closed ticket).
 */
export function mountReplyForm({ path, prefix, textarea, emptyText, sentText, sent, closed }) {
  const form = $("#reply-form");
  if (!form) return false;
  const field = $(textarea);
  const error = $("#reply-error");
  const button = $("#send-reply");
  const picker = attachmentPicker(prefix);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hide(error);
    const text = field.value.trim();
    if (!text && !picker.files().length) { revealError(error, emptyText, field); return; }
    const body = new FormData();
    body.append("body", text);
    picker.appendTo(body);
    button.disabled = true;
    try {
      await announce(() => api("POST", path + "/messages", { form: body }), sentText);
      field.value = "";
      picker.clear();
      await sent();
    } catch (failure) {
      // A wallet secret or a bad text: nothing was sent; the focus goes to the text to change.
      const fix = failure.code === "secret_detected" || failure.status === 400 ? field : null;
      revealError(error, errorText(failure), fix);
      if (failure.code === "ticket_closed") closed();
    } finally {
      button.disabled = false;
    }
  });
  return true;
}
