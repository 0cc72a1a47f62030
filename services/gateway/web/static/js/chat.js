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

function articleLink(article, label) {
  return h("a", { href: "/help/articles/" + encodeURIComponent(article.slug) }, label || article.title);
}

// The helper's links: the article it quotes (once), or, on answers from before quick replies, the list.
function links(message) {
  if (message.article) return h("p", { class: "chat-source" }, articleLink(message.article, t("chat.read_article", { title: message.article.title })));
  const offered = (message.quick_replies || []).some((reply) => reply.kind === "article");
  if (offered || !(message.articles && message.articles.length)) return null;
  return h("ul", { class: "chat-articles" }, message.articles.map((article) => h("li", {}, articleLink(article))));
}

function quickReplies(message) {
  if (chat.status !== "bot" || !(message.quick_replies && message.quick_replies.length)) return null;
  return h("div", { class: "chat-quick", role: "group", "aria-label": t("chat.quick_replies") },
    message.quick_replies.map((reply) => {
      const button = h("button", { type: "button", class: "secondary" }, reply.label);
      button.addEventListener("click", () => (reply.kind === "agent" ? handover() : post(reply.message)));
      return button;
    }));
}

function render() {
  const log = $("#chat-log");
  const last = chat.messages[chat.messages.length - 1];
  log.replaceChildren(...chat.messages.map((message) => h("li", { class: "chat-message " + (message.author ? message.author.role : "system") },
    h("strong", {}, authorLabel(message)),
    h("p", {}, message.body || ""),
    links(message),
    message === last ? quickReplies(message) : null)));
  log.scrollTop = log.scrollHeight;
  // A chat that has ended takes no more input: the person may start a new one.
  $("#chat-form").hidden = chat.status === "closed";
  $("#chat-restart").hidden = chat.status !== "closed";
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

function typing(on) {
  $("#chat-typing").hidden = !on;
  $("#chat-send").disabled = on;
  if (on) $("#chat-log").scrollTop = $("#chat-log").scrollHeight;
}

async function send(event) {
  event.preventDefault();
  const input = $("#chat-input");
  const text = input.value.trim();
  const error = $("#chat-error");
  hide(error);
  if (!text) { show(error, t("chat.empty")); input.focus(); return; }
  if (await post(text)) input.value = "";
}

// The person's message (typed, or a quick reply); true once the chat has it.
async function post(text) {
  const input = $("#chat-input");
  const error = $("#chat-error");
  hide(error);
  typing(true);
  try {
    if (!chat) {
      const body = { message: text, locale: lang };
      const email = $("#chat-email");
      if (email) {
        if (!email.value.trim()) { show(error, t("chat.email_needed")); email.focus(); return false; }
        body.email = email.value.trim();
      }
      const created = await api("POST", "/api/v1/chats", { json: body });
      chat = created.chat;
      token = created.chat_token || null;
      remember();
    } else {
      chat = (await api("POST", `/api/v1/chats/${encodeURIComponent(chat.id)}/messages`, { json: { body: text }, token })).chat;
    }
    render();
    return true;
  } catch (failure) {
    if (failure instanceof ApiError && failure.code === "validation_error" && $("#chat-email")) {
      show(error, t("chat.email_needed"));
    } else {
      show(error, errorText(failure));
      if (failure.code === "secret_detected") input.focus();  // nothing was sent; take it out
    }
    return false;
  } finally {
    typing(false);
  }
}

function restart() {
  forget();
  $("#chat-log").replaceChildren();
  $("#chat-state").textContent = "";
  $("#chat-restart").hidden = true;
  $("#chat-form").hidden = false;
  const email = $("#chat-email-field");
  if (email) email.hidden = false;
  $("#chat-input").focus();
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
  $("#chat-restart").addEventListener("click", restart);
}
