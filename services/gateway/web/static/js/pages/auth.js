// Logging in (with its second step for accounts with two-factor sign-in) and registering
// (with a referral code from an invitation link).
import { $, api, ApiError, clearFieldErrors, errorText, hide, lang, page, revealError, show, showFieldErrors, t } from "../core.js";

function destination(user) {
  if (page.next) return page.next;
  return user.role === "agent" ? "/agent" : "/support";
}

// An account with two-factor sign-in answers the password with an `mfa_token`; the code
// (from the authenticator app, or a recovery code) is the second step, on the same page.
let mfaToken = null;

async function login(email, password) {
  const answer = await api("POST", "/api/v1/auth/login", { json: { email, password } });
  if (answer.mfa_required) {
    askForCode(answer.mfa_token);
    return;
  }
  location.assign(destination(answer.user));
}

function askForCode(token) {
  mfaToken = token;
  $("#login-form").hidden = true;
  hide($("#mfa-error"));
  $("#mfa-code").value = "";
  show($("#mfa-form"));
  $("#mfa-code").focus();
}

function backToPassword(message) {
  mfaToken = null;
  hide($("#mfa-form"));
  $("#login-form").hidden = false;
  $("#login-submit").disabled = false;
  $("#password").value = "";
  if (message) show($("#form-error"), message);
  $("#password").focus();
}

const loginForm = $("#login-form");
if (loginForm) {
  loginForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("#form-error");
    hide(error);
    const email = $("#email").value.trim();
    const password = $("#password").value;
    if (!email || !password) { show(error, t("login.missing")); return; }
    const button = $("#login-submit");
    button.disabled = true;
    try {
      await login(email, password);
    } catch (failure) {
      revealError(error, failure instanceof ApiError && failure.status === 401 ? t("error.invalid_credentials") : errorText(failure));
      button.disabled = false;
      $("#password").focus();
    }
  });
}

const mfaForm = $("#mfa-form");
if (mfaForm) {
  mfaForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("#mfa-error");
    hide(error);
    const code = $("#mfa-code").value.trim();
    if (!code) { show(error, t("login.mfa_missing")); return; }
    const button = $("#mfa-submit");
    button.disabled = true;
    try {
      const answer = await api("POST", "/api/v1/auth/login/mfa", { json: { mfa_token: mfaToken, code } });
      location.assign(destination(answer.user));
    } catch (failure) {
      button.disabled = false;
      if (failure instanceof ApiError && failure.status === 401) {
        backToPassword(t("login.mfa_ended"));  // too many wrong codes, or too long: the password again
        return;
      }
      revealError(error, errorText(failure));
      $("#mfa-code").select();
    }
  });
  $("#mfa-back").addEventListener("click", () => backToPassword());
}

const registerForm = $("#register-form");
if (registerForm) {
  registerForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(registerForm);
    const error = $("#form-error");
    hide(error);
    const email = $("#email").value.trim();
    const password = $("#password").value;
    const region = $("#region").value.trim().toUpperCase();
    const referral = $("#referral_code").value.trim();
    const local = {};
    if (!email) local.email = ["required"];
    if (password.length < 8) local.password = ["short"];
    if (region && !/^[A-Z]{2}$/.test(region)) local.region = ["format"];
    if (Object.keys(local).length) {
      showFieldErrors(registerForm, { details: { fields: local } });
      return;
    }
    const body = { email, password, locale: lang };
    if (region) body.region = region;
    if (referral) body.referral_code = referral;
    const button = $("#register-submit");
    button.disabled = true;
    try {
      await api("POST", "/api/v1/auth/register", { json: body });
      await login(email, password);
    } catch (failure) {
      if (!showFieldErrors(registerForm, failure) || failure.code !== "validation_error") {
        revealError(error, errorText(failure));
      }
      button.disabled = false;
    }
  });
}
