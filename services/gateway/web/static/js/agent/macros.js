// Macros on a ticket: pick one, then either put it in the reply box (filled for this ticket, in
// its language, kind and "resolve" set as the macro says) to edit before sending, or send it.
import { $, api, errorText, h, hide, revealError, show, t } from "../core.js";

function setKind(kind) {
  const radio = document.getElementById("kind-" + kind);
  if (radio) radio.checked = true;
}

/**
 * `ticket()` is the ticket the page shows; `filled()` tells the page the reply box changed;
 * `sent(kind)` that a macro went out.
 */
export function mountMacros(base, { ticket, filled, sent }) {
  const select = $("#macro-select");
  const apply = $("#macro-apply");
  const send = $("#macro-send");
  const error = $("#compose-error");
  let macros = [];

  const chosen = () => macros.find((macro) => String(macro.id) === select.value) || null;
  const sync = () => { apply.disabled = send.disabled = !chosen(); };

  async function load(locale) {
    try {
      const data = await api("GET", "/api/v1/agent/macros?" + new URLSearchParams({ locale: locale || "en" }));
      macros = data.items;
      select.replaceChildren(h("option", { value: "" }, t("macro.none")),
        ...macros.map((macro) => h("option", { value: String(macro.id) }, macro.title)));
      select.disabled = !macros.length;
    } catch (failure) {
      select.disabled = true;
    }
    sync();
  }

  select.addEventListener("change", sync);
  apply.addEventListener("click", async () => {
    const macro = chosen();
    if (!macro) return;
    hide(error);
    apply.disabled = true;
    try {
      const filledIn = await api("GET", `${base}/macros/${encodeURIComponent(macro.id)}`);
      $("#agent-body").value = filledIn.body;
      setKind(filledIn.kind);
      $("#resolve-after").checked = Boolean(filledIn.resolve);
      filled();
      $("#agent-body").focus();
    } catch (failure) {
      revealError(error, errorText(failure));
    } finally {
      sync();
    }
  });
  send.addEventListener("click", async () => {
    const macro = chosen();
    if (!macro) return;
    hide(error);
    send.disabled = true;
    try {
      await api("POST", `${base}/macros/${encodeURIComponent(macro.id)}`, { json: {} });
      sent(macro.kind);
    } catch (failure) {
      revealError(error, errorText(failure));
    } finally {
      sync();
    }
  });
  let loadedFor = null;
  return {
    /** Called whenever the ticket is (re)loaded: the list follows the ticket's language. */
    refresh() {
      const locale = ticket() && ticket().locale;
      if (locale !== loadedFor) { loadedFor = locale; load(locale); }
    },
  };
}
