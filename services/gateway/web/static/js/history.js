// A ticket's conversation, for customers and agents: replies, requests for details,
// system events, attachments; internal notes (agents only) set apart. A redacted message
// says so in the reader's language (agents also see who redacted it and why).
import { formatSize, h, t, timeElement } from "./core.js";

function author(message, agentView) {
  const role = message.author.role;
  if (role === "customer" || role === "guest") {
    return agentView ? t("author.customer_named", { name: message.author.name || "" }) : t("author.you");
  }
  if (role === "agent") return t("author.support_named", { name: message.author.name || "" });
  if (role === "bot") return t("author.bot");
  return t("author.system");
}

function attachmentList(message) {
  if (!message.attachments || !message.attachments.length) return null;
  return h("ul", { class: "attachments", "aria-label": t("ticket.attachments") }, message.attachments.map((file) =>
    h("li", {},
      h("a", { href: file.url, download: file.filename }, file.filename),
      " ", h("span", { class: "hint" }, "(" + formatSize(file.size) + ")"))));
}

function body(message, agentView) {
  if (message.redacted) {
    const redaction = agentView && message.redaction;
    return [h("p", { class: "body redacted" }, t("ticket.redacted")),
      redaction ? h("p", { class: "hint redaction" }, t("agent.redacted_by", { name: (redaction.by && redaction.by.name) || "", reason: redaction.reason || "" })) : null];
  }
  return message.body ? h("p", { class: "body" }, message.body) : null;
}

/** `actions(message)` may add controls to each message (the agent's Redact button). */
export function renderHistory(list, messages, { agentView = false, actions = null } = {}) {
  list.replaceChildren(...messages.map((message) => {
    const note = message.kind === "note";
    const classes = ["message", message.author.role, message.kind].join(" ");
    return h("li", { class: classes, id: "message-" + message.id, dataset: { kind: message.kind, role: message.author.role, redacted: message.redacted ? "true" : "false" } },
      note ? h("p", { class: "note-label" }, t("agent.internal_note")) : null,
      h("p", { class: "meta" },
        h("strong", {}, author(message, agentView)), " ",
        timeElement(message.created_at),
        message.kind === "info_request" ? h("span", { class: "tag" }, t("ticket.info_request")) : null),
      body(message, agentView),
      attachmentList(message),
      actions ? actions(message) : null);
  }));
}
