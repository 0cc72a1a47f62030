// The video calls of an agent's ticket: propose times (or offer new ones), join, record the
// outcome, cancel.
import { $, api, errorText, formatDateTime, formatTime, h, hide, revealError, show, t, tEnum } from "../core.js";

/** `done(key)` and `failed(error)` report on the page; `reload()` fetches the ticket again. */
export function mountVideoCalls(base, { done, failed, reload }) {
  const load = reload;
  const DURATIONS = [15, 30, 45, 60];
  let openCall = null;

  function localInputValue(date) {
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }

  function addSlotRow() {
    const rows = $("#slot-rows");
    const index = rows.children.length + 1;
    const start = new Date(Date.now() + 24 * 3600 * 1000 + (index - 1) * 3600 * 1000);
    start.setMinutes(0, 0, 0);
    const startInput = h("input", { type: "datetime-local", id: "slot-start-" + index, class: "slot-start", value: localInputValue(start), required: true });
    const length = h("select", { id: "slot-length-" + index, class: "slot-length" },
      DURATIONS.map((minutes) => h("option", { value: String(minutes), selected: minutes === 30 }, t("agent.minutes", { n: minutes }))));
    const remove = h("button", { type: "button", class: "secondary small", "aria-label": t("agent.remove_slot", { n: index }) }, t("agent.remove"));
    const row = h("li", { class: "slot-row" },
      h("div", {}, h("label", { for: startInput.id }, t("agent.slot_start", { n: index })), startInput),
      h("div", {}, h("label", { for: length.id }, t("agent.slot_length")), length),
      remove);
    remove.addEventListener("click", () => { if (rows.children.length > 1) row.remove(); });
    rows.append(row);
  }

  function slotsFromForm() {
    return [...document.querySelectorAll(".slot-row")].map((row) => {
      const start = new Date(row.querySelector(".slot-start").value);
      const end = new Date(start.getTime() + Number(row.querySelector(".slot-length").value) * 60000);
      return { start: start.toISOString(), end: end.toISOString() };
    });
  }

  function outcomeForm(call) {
    const result = h("select", { id: "outcome-" + call.id },
      ["verified", "not_verified", "no_show"].map((value) => h("option", { value }, tEnum("outcome", value))));
    const note = h("textarea", { id: "outcome-note-" + call.id, rows: "2", maxlength: "2000" });
    const form = h("form", { class: "outcome-form", novalidate: true },
      h("h4", {}, t("agent.outcome_heading")),
      h("label", { for: result.id }, t("agent.outcome")), result,
      h("label", { for: note.id }, t("agent.outcome_note")), note,
      h("button", { type: "submit", id: "record-outcome-" + call.id }, t("agent.record_outcome")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api("POST", `/api/v1/agent/video-calls/${call.id}/outcome`, { json: { result: result.value, note: note.value.trim() || null } });
        done("agent.outcome_recorded");
        await Promise.all([loadCalls(), load()]);
      } catch (failure) {
        failed(failure);
      }
    });
    return form;
  }

  function callItem(call) {
    const parts = [
      h("p", {}, h("span", { class: "status-badge " + call.status }, tEnum("call_status", call.status))),
    ];
    if (call.booked_slot) {
      parts.push(h("p", {}, t("agent.call_booked", { start: formatDateTime(call.booked_slot.start), end: formatTime(call.booked_slot.end) })));
    } else if (call.status === "proposed") {
      parts.push(h("p", {}, t("agent.call_offered")), h("ul", {}, call.slots.map((slot) =>
        h("li", {}, formatDateTime(slot.start) + " \u2013 " + formatTime(slot.end)))));
    }
    if (call.translation && call.translation.enabled) {
      parts.push(h("p", { class: "hint" }, t("agent.call_translation", { language: tEnum("spoken", call.translation.translate_from) })));
    }
    if (call.outcome) parts.push(h("p", {}, tEnum("outcome", call.outcome), call.outcome_note ? " \u2014 " + call.outcome_note : ""));
    if (call.joinable) {
      const join = h("button", { type: "button", class: "secondary", id: "agent-join-" + call.id }, t("video.join"));
      const room = h("div", { class: "room" });
      join.addEventListener("click", async () => {
        try {
          const pass = await api("POST", `/api/v1/agent/video-calls/${call.id}/join`);
          const url = new URL(pass.room_url);
          url.searchParams.set(pass.provider === "livekit" ? "token" : "jwt", pass.room_token);
          room.replaceChildren(h("a", { href: url.toString(), target: "_blank", rel: "noopener noreferrer", class: "button" }, t("video.open_room")));
        } catch (failure) {
          failed(failure);
        }
      });
      parts.push(join, room);
    }
    if (call.status === "booked") parts.push(outcomeForm(call));
    if (call.status === "proposed" || call.status === "booked") {
      const cancel = h("button", { type: "button", class: "secondary", id: "cancel-call-" + call.id }, t("agent.cancel_call"));
      cancel.addEventListener("click", async () => {
        try {
          await api("POST", `/api/v1/agent/video-calls/${call.id}/cancel`, { json: {} });
          done("agent.call_cancelled");
          await Promise.all([loadCalls(), load()]);
        } catch (failure) {
          failed(failure);
        }
      });
      parts.push(cancel);
    }
    return h("li", { class: "agent-call", id: "agent-call-" + call.id, dataset: { status: call.status } }, parts);
  }

  async function loadCalls() {
    try {
      const data = await api("GET", base + "/video-calls");
      $("#agent-calls").replaceChildren(h("ul", { class: "agent-calls" }, data.items.map(callItem)));
      openCall = data.items.find((call) => call.status === "proposed" || call.status === "booked") || null;
      $("#propose-heading").textContent = openCall ? t("agent.reschedule_heading") : t("agent.propose_heading");
      $("#propose").textContent = openCall ? t("agent.reschedule") : t("agent.propose");
    } catch (failure) {
      $("#agent-calls").replaceChildren(h("p", { class: "error" }, errorText(failure)));
    }
  }

  $("#add-slot").addEventListener("click", addSlotRow);
  $("#propose-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("#propose-error");
    hide(error);
    let slots;
    try {
      slots = slotsFromForm();
    } catch (bad) {
      revealError(error, t("agent.slot_invalid"));
      return;
    }
    const button = $("#propose");
    button.disabled = true;
    try {
      if (openCall) {
        await api("POST", `/api/v1/agent/video-calls/${openCall.id}/reschedule`, { json: { slots } });
        done("agent.rescheduled");
      } else {
        await api("POST", base + "/video-calls", { json: { slots } });
        done("agent.proposed");
      }
      await Promise.all([loadCalls(), load()]);
    } catch (failure) {
      revealError(error, errorText(failure));
    } finally {
      button.disabled = false;
    }
  });

  addSlotRow();
  return loadCalls;
}
