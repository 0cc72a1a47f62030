// Video calls: logged in, the customer's calls; otherwise "Join video call appointment":
// an email, the code sent to it, then the calls booked for that email.
import { $, api, ApiError, cookie, errorText, hide, page, revealError, show, t } from "../core.js";
import { mountCalls } from "../video_cards.js";

let startOver = () => location.reload();

function showCalls() {
  const empty = $("#calls-empty");
  return mountCalls($("#calls"), {
    onRender: (count) => { empty.hidden = count > 0; },
    onUnauthorized: () => startOver(),
  });
}

if (page.user) {
  showCalls();
} else {
  const emailForm = $("#appointment-email-form");
  const codeForm = $("#appointment-code-form");
  const section = $("#appointment-calls");
  let email = "";

  startOver = () => {
    section.hidden = true;
    codeForm.hidden = true;
    emailForm.hidden = false;
  };

  async function sendCode() {
    const error = $("#appointment-error");
    hide(error);
    email = $("#appointment-email").value.trim();
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) { show(error, t("field_error.email")); $("#appointment-email").focus(); return false; }
    try {
      await api("POST", "/api/v1/guest/video-calls/verification-code", { json: { email } });
      return true;
    } catch (failure) {
      revealError(error, errorText(failure));
      return false;
    }
  }

  emailForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("#appointment-send-code");
    button.disabled = true;
    if (await sendCode()) {
      emailForm.hidden = true;
      codeForm.hidden = false;
      show($("#appointment-sent"), t("appointment.code_sent", { email }));
      $("#appointment-code").focus();
    }
    button.disabled = false;
  });

  $("#appointment-resend").addEventListener("click", async () => {
    const error = $("#appointment-code-error");
    hide(error);
    try {
      await api("POST", "/api/v1/guest/video-calls/verification-code", { json: { email } });
      show($("#appointment-sent"), t("appointment.code_sent", { email }));
    } catch (failure) {
      revealError(error, errorText(failure));
    }
  });

  codeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("#appointment-code-error");
    hide(error);
    const code = $("#appointment-code").value.replace(/\s+/g, "");
    if (!/^\d{6}$/.test(code)) { show(error, t("appointment.code_format")); return; }
    const button = $("#appointment-verify");
    button.disabled = true;
    try {
      await api("POST", "/api/v1/guest/video-calls/session", { json: { email, code } });
      codeForm.hidden = true;
      section.hidden = false;
      showCalls();
      $("#appointment-calls-heading").focus();
    } catch (failure) {
      revealError(error, failure instanceof ApiError ? errorText(failure) : t("error.generic"));
    } finally {
      button.disabled = false;
    }
  });

  // A browser already verified (the guest cookie, which comes with a CSRF cookie) goes straight to its calls.
  if (cookie("csrf_token")) api("GET", "/api/v1/video-calls").then((data) => {
    if (data.items.length) {
      emailForm.hidden = true;
      section.hidden = false;
      showCalls();
    }
  }).catch(() => {});
}
