// Logging in and registering (with a referral code from an invitation link).
import { $, ApiError, api, clearFieldErrors, errorText, hide, lang, page, show, showFieldErrors, t } from "../core.js";

function destination(user) {
  if (page.next) return page.next;
  return user.role === "agent" ? "/agent" : "/support";
}

async function login(email, password) {
  const answer = await api("POST", "/api/v1/auth/login", { json: { email, password } });
  location.assign(destination(answer.user));
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
      show(error, failure instanceof ApiError && failure.status === 401 ? t("error.invalid_credentials") : errorText(failure));
      button.disabled = false;
      $("#password").focus();
    }
  });
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
        show(error, errorText(failure));
      }
      button.disabled = false;
    }
  });
}
