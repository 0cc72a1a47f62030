// Account security: two-factor sign-in (enrol with an authenticator app, the ten recovery
// codes shown once, turning it off) and the anti-phishing code that every email shows.
import { $, api, ApiError, errorText, h, hide, page, revealError, show, t } from "../core.js";

const state = { mfa: page.mfa_enabled, apc: page.anti_phishing_code_set };

function codeError(failure) {
  // A wrong code here has no tries to count down (that is the login's second step).
  return failure instanceof ApiError && failure.code === "invalid_code" ? t("security.code_wrong") : errorText(failure);
}

function renderMfa() {
  $("#mfa-state").textContent = t(state.mfa ? "security.mfa_on" : "security.mfa_off_state");
  $("#mfa-start").hidden = state.mfa;
  const off = $("#mfa-off-form");
  if (off) off.hidden = !state.mfa;
}

function renderApc() {
  $("#apc-state").textContent = t(state.apc ? "security.apc_set" : "security.apc_not_set");
  $("#apc-remove").hidden = !state.apc;
}

// -- two-factor sign-in ---------------------------------------------------------------------------

$("#mfa-start").addEventListener("click", async () => {
  const button = $("#mfa-start");
  hide($("#mfa-error"));
  button.disabled = true;
  try {
    const offer = await api("POST", "/api/v1/me/mfa/totp");
    // The server's own SVG, shown as an image: an <img> never runs anything inside an SVG.
    $("#mfa-qr").src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(offer.qr_svg);
    $("#mfa-secret").textContent = offer.secret.replace(/(.{4})(?=.)/g, "$1 ");
    show($("#mfa-enrol"));
    button.hidden = true;
    $("#mfa-confirm-code").focus();
  } catch (failure) {
    revealError($("#mfa-error"), errorText(failure));
  } finally {
    button.disabled = false;
  }
});

$("#mfa-confirm-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  hide($("#mfa-error"));
  const code = $("#mfa-confirm-code").value.replace(/\s/g, "");
  if (!/^[0-9]{6}$/.test(code)) { show($("#mfa-error"), t("security.code_format")); return; }
  const button = $("#mfa-confirm");
  button.disabled = true;
  try {
    const answer = await api("POST", "/api/v1/me/mfa/totp/confirm", { json: { code } });
    state.mfa = true;
    hide($("#mfa-enrol"));
    hide($("#mfa-required-notice"));
    $("#mfa-secret").textContent = "";
    $("#mfa-qr").removeAttribute("src");
    $("#recovery-codes").replaceChildren(...answer.recovery_codes.map((item) => h("li", {}, item)));
    show($("#recovery-panel"));
    renderMfa();
    $("#recovery-heading").focus();
  } catch (failure) {
    show($("#mfa-error"), codeError(failure));
    $("#mfa-confirm-code").select();
  } finally {
    button.disabled = false;
  }
});

const offForm = $("#mfa-off-form");
if (offForm) {
  offForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    hide($("#mfa-error"));
    const code = $("#mfa-off-code").value.trim();
    if (!code) { show($("#mfa-error"), t("security.code_format")); return; }
    const button = $("#mfa-off");
    button.disabled = true;
    try {
      await api("DELETE", "/api/v1/me/mfa/totp", { json: { code } });
      state.mfa = false;
      $("#mfa-off-code").value = "";
      hide($("#recovery-panel"));
      renderMfa();
    } catch (failure) {
      show($("#mfa-error"), codeError(failure));
    } finally {
      button.disabled = false;
    }
  });
}

// -- anti-phishing code ---------------------------------------------------------------------------

async function saveApc(code) {
  hide($("#apc-error"));
  hide($("#apc-saved"));
  for (const button of [$("#apc-save"), $("#apc-remove")]) button.disabled = true;
  try {
    const answer = await api("PUT", "/api/v1/me/anti-phishing-code", { json: { code } });
    state.apc = answer.user.anti_phishing_code_set;
    $("#apc-code").value = "";
    renderApc();
    show($("#apc-saved"));
  } catch (failure) {
    show($("#apc-error"), failure instanceof ApiError && failure.code === "validation_error"
      ? t("security.apc_rules") : errorText(failure));
  } finally {
    for (const button of [$("#apc-save"), $("#apc-remove")]) button.disabled = false;
  }
}

$("#apc-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const code = $("#apc-code").value.trim();
  if (!/^[A-Za-z0-9]{4,20}$/.test(code)) {
    hide($("#apc-saved"));
    show($("#apc-error"), t("security.apc_rules"));
    $("#apc-code").focus();
    return;
  }
  saveApc(code);
});

$("#apc-remove").addEventListener("click", () => saveApc(null));

renderMfa();
renderApc();
