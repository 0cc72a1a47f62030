// The editors' macros: each a title, a kind, whether it resolves, and a body in English,
// Spanish and Traditional Chinese with {{customer_name}}, {{ticket_number}}, {{agent_name}}.
import { $, api, errorText, h, hide, revealError, show, t } from "../core.js";

const form = $("#macro-form");
const bodies = [...document.querySelectorAll(".macro-body")];
let macros = [];
let editing = null;

function done(key) {
  show($("#macros-done"), t(key));
}

function row(macro) {
  const edit = h("button", { type: "button", class: "secondary small", id: "edit-macro-" + macro.id,
    "aria-label": t("macros.edit_named", { title: macro.title }), onclick: () => startEdit(macro) }, t("macros.edit"));
  const remove = h("button", { type: "button", class: "secondary small", id: "delete-macro-" + macro.id,
    "aria-label": t("macros.delete_named", { title: macro.title }), onclick: () => confirmDelete(macro, actions) }, t("macros.delete"));
  const actions = h("div", { class: "row" }, edit, remove);
  return h("tr", { id: "macro-" + macro.id },
    h("td", { "data-label": t("macros.name") }, macro.title),
    h("td", { "data-label": t("agent.message_kind") }, t("agent.kind_" + macro.kind)),
    h("td", { "data-label": t("macros.resolves") }, macro.resolve ? t("filter.yes") : t("filter.no")),
    h("td", { "data-label": t("macros.actions") }, actions));
}

function confirmDelete(macro, actions) {
  const yes = h("button", { type: "button", class: "small", id: "confirm-delete-" + macro.id }, t("macros.delete_confirm"));
  const no = h("button", { type: "button", class: "secondary small" }, t("macros.cancel_edit"));
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    try {
      await api("DELETE", "/api/v1/agent/macros/" + encodeURIComponent(macro.id));
      if (editing === macro.id) resetForm();
      done("macros.deleted");
      await load();
    } catch (failure) {
      show($("#macros-error"), errorText(failure));
      yes.disabled = false;
    }
  });
  no.addEventListener("click", () => load());
  actions.replaceChildren(h("span", {}, t("macros.delete_question", { title: macro.title })), yes, no);
  yes.focus();
}

async function load() {
  hide($("#macros-error"));
  try {
    macros = (await api("GET", "/api/v1/agent/macros")).items;
    $("#macro-rows").replaceChildren(...macros.map(row));
    $("#macros-empty").hidden = macros.length > 0;
  } catch (failure) {
    show($("#macros-error"), errorText(failure));
  }
}

function startEdit(macro) {
  editing = macro.id;
  $("#macro-form-heading").textContent = t("macros.editing", { title: macro.title });
  $("#macro-title").value = macro.title;
  $("#macro-kind").value = macro.kind;
  $("#macro-resolve").checked = Boolean(macro.resolve);
  for (const field of bodies) field.value = (macro.bodies || {})[field.dataset.lang] || "";
  $("#macro-cancel").hidden = false;
  $("#macro-title").focus();
}

function resetForm() {
  editing = null;
  form.reset();
  $("#macro-form-heading").textContent = t("macros.new");
  $("#macro-cancel").hidden = true;
  hide($("#macro-form-error"));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("#macro-form-error");
  hide(error);
  hide($("#macros-done"));
  const title = $("#macro-title").value.trim();
  // A title and the English text are needed; a language left empty falls back to English.
  const missing = [$("#macro-title"), $("#macro-body-en")].find((field) => !field.value.trim());
  if (missing) { revealError(error, t("macros.incomplete"), missing); return; }
  const macro = { title, kind: $("#macro-kind").value, resolve: $("#macro-resolve").checked,
    bodies: Object.fromEntries(bodies.map((field) => [field.dataset.lang, field.value.trim() || null])) };
  const button = $("#macro-save");
  button.disabled = true;
  try {
    if (editing === null) await api("POST", "/api/v1/agent/macros", { json: macro });
    else await api("PUT", "/api/v1/agent/macros/" + encodeURIComponent(editing), { json: macro });
    done(editing === null ? "macros.created" : "macros.updated");
    resetForm();
    await load();
  } catch (failure) {
    revealError(error, errorText(failure));
  } finally {
    button.disabled = false;
  }
});
$("#macro-cancel").addEventListener("click", resetForm);
load();
