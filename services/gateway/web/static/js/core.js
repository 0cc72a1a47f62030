// What every page shares: its data and catalogue, translation, the API client
// (same-origin fetch, session cookie, X-CSRF-Token on unsafe methods), DOM helpers.

export const page = JSON.parse(document.getElementById("page-data").textContent);
export const lang = page.lang;
const catalogue = page.catalogue;

/** The catalogue's text for `key`, `{name}` placeholders filled; a missing key shows as ⟦key⟧. */
export function t(key, params) {
  const text = catalogue[key];
  if (text === undefined) {
    console.warn("untranslated key", key);
    return "\u27E6" + key + "\u27E7";
  }
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(catalogue, key);
}

/** A value of an API enumeration (a status, a category...) in words: `prefix.value`. */
export function tEnum(prefix, value) {
  return t(prefix + "." + value);
}

export function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || "HTTP " + status);
    this.status = status;
    this.code = error.code || "http_" + status;
    this.details = error.details || {};
  }
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Call the public API. `json` sends a JSON body, `form` a FormData (multipart), `token`
 * a bearer token (a guest chat) instead of the cookie. Resolves to the parsed body (null
 * for 204); rejects with an ApiError carrying the contract's code and details.
 */
export async function api(method, path, { json, form, token } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  if (token) {
    headers.Authorization = "Bearer " + token;
  } else if (UNSAFE.has(method)) {
    const csrf = cookie("csrf_token");
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  let response;
  const sent = Date.now();
  try {
    response = await fetch(path, { method, headers, body, credentials: "same-origin" });
  } catch (networkError) {
    throw new ApiError(0, { error: { code: "network_error", message: String(networkError) } });
  }
  noteServerTime(response.headers.get("Date"), sent, Date.now());
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch (notJson) {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// How far this browser's clock is from the server's, from the responses' Date header
// (whole seconds, so differences under two seconds are noise and ignored).
let clockOffset = 0;

function noteServerTime(header, sent, received) {
  const server = Date.parse(header || "");
  if (Number.isNaN(server)) return;
  const offset = server + 500 - (sent + received) / 2;
  clockOffset = Math.abs(offset) > 2000 ? offset : 0;
}

/** The time now by the server's clock, as near as the browser can tell. */
export function serverNow() {
  return Date.now() + clockOffset;
}

/** A failed call in the reader's language: the code's own sentence, else one for its status. */
export function errorText(error) {
  if (!(error instanceof ApiError)) return t("error.generic");
  const details = error.details || {};
  if (error.code === "invalid_code" && details.attempts_left !== undefined) {
    return t("error.invalid_code", { attempts: details.attempts_left });
  }
  if (error.code === "duplicate_ticket" && details.ticket_number) {
    return t("error.duplicate_ticket", { number: details.ticket_number });
  }
  // The tickets service names its limit: the sentence says the one it enforces.
  if (error.code === "file_too_large" && details.max_bytes) {
    return t("error.file_too_large", { max_mb: Number((details.max_bytes / (1024 * 1024)).toFixed(1)) });
  }
  if (error.code === "too_many_files" && details.max_files) {
    return t("error.too_many_files", { max: details.max_files });
  }
  if (has("error." + error.code)) return t("error." + error.code);
  if (error.status === 400) return t("error.validation_error");
  if (error.status === 401) return t("error.not_authenticated");
  if (error.status === 403) return t("error.forbidden");
  if (error.status === 404) return t("error.not_found");
  if (error.status === 409) return t("error.conflict");
  if (error.status === 429) return t("error.rate_limited");
  if (error.status >= 500) return t("error.service_unavailable");
  return t("error.generic");
}

/** Build an element: h("a", {href, class, onclick}, "text", child...). Text is never parsed as HTML. */
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      element.className = value;
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function show(element, text) {
  if (!element) return;
  if (text !== undefined) element.textContent = text;
  element.hidden = false;
}

export function hide(element) {
  if (element) element.hidden = true;
}

/**
 * Show a form's error where it cannot be missed: the message (`text`, if given) is shown,
 * scrolled into view, and the focus goes to `field` (the input to fix) or the message itself.
 */
export function revealError(element, text, field) {
  if (!element) return;
  show(element, text);
  if (!element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
  element.scrollIntoView({ block: "center" });
  (field || element).focus({ preventScroll: true });
}

// The one date format of every page: the page language's own (Intl), never the browser's default
// or raw ISO text. Server-rendered dates (web/dates.py) are rewritten with it by app.js.
const dateTimeFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
const dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium" });
const timeFormat = new Intl.DateTimeFormat(lang, { timeStyle: "short" });

export function formatDateTime(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : "";
}

export function formatDate(iso) {
  return iso ? dateFormat.format(new Date(iso)) : "";
}

export function formatTime(iso) {
  return iso ? timeFormat.format(new Date(iso)) : "";
}

export function timeElement(iso) {
  return h("time", { datetime: iso }, formatDateTime(iso));
}

export function formatSize(bytes) {
  if (bytes >= 1024 * 1024) return t("size.mib", { size: (bytes / (1024 * 1024)).toFixed(1) });
  return t("size.kib", { size: Math.max(0.1, bytes / 1024).toFixed(1) });
}

export function formatAge(seconds) {
  if (seconds < 3600) return t("age.minutes", { n: Math.max(0, Math.floor(seconds / 60)) });
  if (seconds < 86400) return t("age.hours", { n: Math.floor(seconds / 3600) });
  return t("age.days", { n: Math.floor(seconds / 86400) });
}

// Toasts and the one-toast-per-action rule live in toasts.js; every page imports them from here.
export { announce, announceOnNextPage, quietAfterAction, toast } from "./toasts.js";

/** Show a field-level error list (`details.fields`) next to the named inputs; returns whether any matched. */
export function showFieldErrors(form, error, prefix = "") {
  // Only bad input names its fields with a sentence of ours; a conflict (say, email_taken) has its own.
  if (error instanceof ApiError && error.code !== "validation_error") return false;
  const fields = (error && error.details && error.details.fields) || {};
  let matched = false;
  for (const [name, messages] of Object.entries(fields)) {
    const slot = form.querySelector("#" + CSS.escape(prefix + name + "-error"));
    const input = form.querySelector("#" + CSS.escape(prefix + name));
    if (slot) {
      slot.textContent = fieldMessage(name, messages);
      slot.hidden = false;
      matched = true;
    }
    if (input) input.setAttribute("aria-invalid", "true");
  }
  return matched;
}

function fieldMessage(name, messages) {
  // The services' sentences are English; the field's own sentence is in the reader's language.
  return has("field_error." + name) ? t("field_error." + name) : t("error.validation_error");
}

export function clearFieldErrors(form) {
  form.querySelectorAll(".field-error").forEach((slot) => { slot.hidden = true; slot.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
}

/** Disable a form's submit button while `work` runs, so one click sends once. */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

/** A path on this site from a notification's absolute link (the product's PUBLIC_URL). */
export function localPath(link) {
  try {
    const url = new URL(link, location.origin);
    return url.pathname + url.search + url.hash;
  } catch (bad) {
    return "/notifications";
  }
}
