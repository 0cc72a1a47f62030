// The live chat: the automated helper answers from the help center; "Talk to an agent"
// hands the conversation over, and it goes on as a ticket. A guest's chat is carried by
// the chat's own bearer token (kept for this tab only).
import { $, ApiError, api, errorText, h, hide, lang, page, show, t } from "./core.js";

const STORE = "chat-session";
const POLL_MS = 4000;
let chat = null;
let token = null;
let pollTimer = null;

function saved() {
  try { return JSON.parse(sessionStorage.getItem(STORE) || "null"); } catch (bad) { return null; }
}

function remember() {
  try { sessionStorage.setItem(STORE, JSON.stringify({ id: chat.id, token })); } catch (unavailable) { /* fine */ }
}

function forget() {
  chat = null;
  token = null;
  try { sessionStorage.removeItem(STORE); } catch (unavailable) { /* fine */ }
}

function authorLabel(message) {
  const role = message.author && message.author.role;
  if (role === "customer" || role === "guest") return t("author.you");
  if (role === "bot") return t("author.bot");
  if (role === "agent") return t("author.support_named", { name: message.author.name || "" });
  return t("author.system");
}

function render() {
  const log = $("#chat-log");
  log.replaceChildren(...chat.messages.map((message) => h("li", { class: "chat-message " + (message.author ? message.author.role : "system") },
    h("strong", {}, authorLabel(message)),
    h("p", {}, message.body || ""),
    (message.articles && message.articles.length)
      ? h("ul", { class: "chat-articles" }, message.articles.map((article) =>
        h("li", {}, h("a", { href: "/help/articles/" + encodeURIComponent(article.slug) }, article.title))))
      : null)));
  log.scrollTop = log.scrollHeight;
  const state = $("#chat-state");
  const handover = $("#chat-handover");
  handover.hidden = chat.status !== "bot";
  if (chat.status === "bot") {
    state.textContent = t("chat.state_bot");
  } else if (chat.status === "closed") {
    state.textContent = t("chat.state_closed");
  } else {
    state.replaceChildren(t("chat.state_" + chat.status, { number: chat.ticket_number || "" }));
    if (chat.ticket_number && page.user && page.user.role === "customer") {
      state.append(" ", h("a", { href: "/support/tickets/" + chat.ticket_number }, t("chat.open_ticket", { number: chat.ticket_number })));
    }
  }
  const emailField = $("#chat-email-field");
  if (emailField) emailField.hidden = true;
  schedulePoll();
}

function schedulePoll() {
  clearTimeout(pollTimer);
  if (!chat || chat.status === "closed" || chat.status === "bot" || $("#chat-panel").hidden) return;
  pollTimer = setTimeout(async () => {
    try {
      chat = await api("GET", "/api/v1/chats/" + encodeURIComponent(chat.id), { token });
      render();
    } catch (error) {
      schedulePoll();
    }
  }, POLL_MS);
}

async function restore() {
  const stored = saved();
  if (!stored || chat) return;
  try {
    token = stored.token;
    chat = await api("GET", "/api/v1/chats/" + encodeURIComponent(stored.id), { token });
    render();
  } catch (error) {
    forget();
  }
}

async function send(event) {
  event.preventDefault();
  const input = $("#chat-input");
  const text = input.value.trim();
  const error = $("#chat-error");
  hide(error);
  if (!text) { show(error, t("chat.empty")); input.focus(); return; }
  const button = $("#chat-send");
  button.disabled = true;
  try {
    if (!chat || chat.status === "closed") {
      const body = { message: text, locale: lang };
      const email = $("#chat-email");
      if (email) {
        if (!email.value.trim()) { show(error, t("chat.email_needed")); email.focus(); return; }
        body.email = email.value.trim();
      }
      const created = await api("POST", "/api/v1/chats", { json: body });
      chat = created.chat;
      token = created.chat_token || null;
      remember();
    } else {
      chat = (await api("POST", `/api/v1/chats/${encodeURIComponent(chat.id)}/messages`, { json: { body: text }, token })).chat;
    }
    input.value = "";
    render();
  } catch (failure) {
    if (failure instanceof ApiError && failure.code === "validation_error" && $("#chat-email")) {
      show(error, t("chat.email_needed"));
    } else {
      show(error, errorText(failure));
      if (failure.code === "secret_detected") input.focus();  // nothing was sent; take it out
    }
  } finally {
    button.disabled = false;
  }
}

async function handover() {
  const button = $("#chat-handover");
  button.disabled = true;
  try {
    chat = (await api("POST", `/api/v1/chats/${encodeURIComponent(chat.id)}/handover`, { token })).chat;
    render();
  } catch (failure) {
    show($("#chat-error"), errorText(failure));
  } finally {
    button.disabled = false;
  }
}

function open() {
  const panel = $("#chat-panel");
  panel.hidden = false;
  $("#chat-open").setAttribute("aria-expanded", "true");
  restore().then(() => ($("#chat-email:not([hidden])") && !chat ? $("#chat-email") : $("#chat-input")).focus());
  schedulePoll();
}

function close() {
  $("#chat-panel").hidden = true;
  clearTimeout(pollTimer);
  const opener = $("#chat-open");
  opener.setAttribute("aria-expanded", "false");
  opener.focus();
}

export function mountChat() {
  const opener = $("#chat-open");
  if (!opener) return;
  opener.addEventListener("click", () => ($("#chat-panel").hidden ? open() : close()));
  document.querySelectorAll("[data-open-chat]").forEach((button) => button.addEventListener("click", open));
  $("#chat-close").addEventListener("click", close);
  $("#chat-panel").addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  $("#chat-form").addEventListener("submit", send);
  $("#chat-handover").addEventListener("click", handover);
}
