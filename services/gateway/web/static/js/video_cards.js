// Video calls with support as cards: the checklist, the offered slots to book, the
// translation choice, and the "Join call" card. The card appears by itself when the
// call can be joined: a timer fires at `join_opens_at` and asks the server, whose
// `joinable` decides (a browser clock that runs ahead only makes it ask again shortly).
import { announce, api, errorText, formatDateTime, formatTime, h, lang, page, revealError, serverNow, t, tEnum } from "./core.js";

const POLL_MS = 60 * 1000;      // new proposals and changes made by support
const RETRY_MS = 2000;          // the window should be open: ask again soon
const OPEN_STATUSES = new Set(["proposed", "booked"]);

function slotText(slot) {
  return t("video.slot", { start: formatDateTime(slot.start), end: formatTime(slot.end) });
}

function roomHref(room) {
  const url = new URL(room.room_url);
  url.searchParams.set(room.provider === "livekit" ? "token" : "jwt", room.room_token);
  return url.toString();
}

function preferredSpokenLanguage(languages) {
  return languages.includes(lang) && lang !== "en" ? lang : "";
}

export function mountCalls(container, { activeOnly = false, onRender, onUnauthorized } = {}) {
  const languages = page.translation_languages || [];
  const rooms = new Map();          // call id -> the room pass, kept across refreshes
  const signatures = new Map();     // call id -> what its card shows, to rebuild only what changed
  let calls = [];
  let timer = null;
  let stopped = false;

  function replaceCall(updated) {
    calls = calls.map((call) => (call.id === updated.id ? updated : call));
    render();
    schedule();
  }

  function checklist(call) {
    return h("details", { class: "checklist", open: call.status !== "completed" },
      h("summary", {}, t("video.checklist")),
      h("p", { class: "hint" }, t("video.language_note")),
      h("ul", {}, call.checklist.map((item) => h("li", { dataset: { key: item.key } }, tEnum("checklist", item.key)))));
  }

  function slotPicker(call, errorBox) {
    const name = "slot-" + call.id;
    const bookedStart = call.booked_slot ? call.booked_slot.start : null;
    const options = call.slots.map((slot, index) => {
      const id = `slot-${call.id}-${index}`;
      return h("li", {},
        h("input", { type: "radio", name, id, value: slot.start, checked: slot.start === bookedStart, disabled: !slot.available }),
        h("label", { for: id, class: "radio-label" }, slotText(slot),
          slot.start === bookedStart ? h("span", { class: "tag" }, t("video.your_slot")) : null));
    });
    const button = h("button", { type: "button", id: "book-" + call.id },
      call.status === "booked" ? t("video.change_slot_submit") : t("video.book_submit"));
    button.addEventListener("click", async () => {
      const chosen = container.querySelector(`input[name="${name}"]:checked`);
      errorBox.hidden = true;
      if (!chosen) { revealError(errorBox, t("video.pick_slot_first")); return; }
      button.disabled = true;
      try {
        const answer = await announce(() => api("POST", `/api/v1/video-calls/${call.id}/booking`, { json: { slot_start: chosen.value } }),
          (booked) => t("video.booked_toast", { time: slotText(booked.call.booked_slot) }));
        replaceCall(answer.call);
      } catch (failure) {
        revealError(errorBox, errorText(failure));
        button.disabled = false;
      }
    });
    const fieldset = h("fieldset", { class: "slots" },
      h("legend", {}, call.status === "booked" ? t("video.change_slot") : t("video.choose_slot")),
      h("ul", { class: "slot-list" }, options), button);
    if (call.status === "booked") {
      return h("details", { class: "change-slot" }, h("summary", {}, t("video.change_slot")), fieldset);
    }
    return fieldset;
  }

  function translationForm(call, errorBox) {
    const current = call.translation || {};
    const on = h("input", { type: "checkbox", id: "tr-on-" + call.id, checked: !!current.enabled });
    const from = h("select", { id: "tr-from-" + call.id },
      h("option", { value: "" }, t("video.choose_language")),
      languages.map((code) => h("option", { value: code, selected: (current.translate_from || preferredSpokenLanguage(languages)) === code }, tEnum("spoken", code))));
    const to = h("select", { id: "tr-to-" + call.id }, h("option", { value: "en", selected: true }, t("video.english")));
    const saved = h("p", { class: "notice", role: "status", hidden: true, id: "tr-saved-" + call.id }, t("video.translation_saved"));
    const form = h("form", { class: "translation", novalidate: true },
      h("h4", {}, t("video.translation")),
      h("p", { class: "hint" }, t("video.translation_hint")),
      h("div", { class: "check" }, on, h("label", { for: on.id }, t("video.translation_on"))),
      h("div", { class: "grid2" },
        h("div", {}, h("label", { for: from.id }, t("video.translate_from")), from),
        h("div", {}, h("label", { for: to.id }, t("video.translate_to")), to)),
      h("button", { type: "submit", class: "secondary", id: "tr-save-" + call.id }, t("video.save_translation")),
      saved);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      errorBox.hidden = true;
      saved.hidden = true;
      if (on.checked && !from.value) { revealError(errorBox, t("video.choose_language_first"), from); return; }
      const body = on.checked ? { enabled: true, translate_from: from.value, translate_to: to.value } : { enabled: false };
      try {
        const answer = await api("PUT", `/api/v1/video-calls/${call.id}/translation`, { json: body });
        calls = calls.map((item) => (item.id === call.id ? answer.call : item));
        signatures.set(call.id, signature(answer.call));
        saved.hidden = false;
      } catch (failure) {
        revealError(errorBox, errorText(failure));
      }
    });
    return form;
  }

  function joinCard(call, errorBox) {
    const room = rooms.get(call.id);
    const roomBox = h("div", { class: "room", id: "room-" + call.id });
    const button = h("button", { type: "button", class: "join-button", id: "join-" + call.id }, t("video.join"));
    const showRoom = (pass) => roomBox.replaceChildren(
      h("a", { class: "button", id: "room-link-" + call.id, href: roomHref(pass), target: "_blank", rel: "noopener noreferrer" }, t("video.open_room")),
      h("p", { class: "hint" }, t("video.room_valid_until", { time: formatDateTime(pass.expires_at) })));
    if (room) showRoom(room);
    button.addEventListener("click", async () => {
      button.disabled = true;
      errorBox.hidden = true;
      try {
        const pass = await api("POST", `/api/v1/video-calls/${call.id}/join`);
        rooms.set(call.id, pass);
        showRoom(pass);
        document.getElementById("room-link-" + call.id).focus();
      } catch (failure) {
        revealError(errorBox, errorText(failure));
        if (failure.code === "not_joinable") load();
      } finally {
        button.disabled = false;
      }
    });
    return h("section", { class: "join-card", id: "join-card-" + call.id, "aria-labelledby": "join-title-" + call.id },
      h("h4", { id: "join-title-" + call.id }, t("video.join_card_title")),
      h("p", {}, t("video.join_now", { end: formatTime(call.join_closes_at) })),
      button, roomBox);
  }

  function card(call) {
    const errorBox = h("p", { class: "error", role: "alert", hidden: true });
    const open = OPEN_STATUSES.has(call.status);
    const parts = [
      h("div", { class: "card-head" },
        h("h3", {}, t("video.card_title", { number: call.ticket_number })),
        h("span", { class: "status-badge " + call.status }, tEnum("call_status", call.status))),
      h("p", {}, h("a", { href: "/support/tickets/" + call.ticket_number }, t("video.about_ticket", { number: call.ticket_number }))),
    ];
    if (call.joinable) parts.push(joinCard(call, errorBox));
    if (call.status === "booked") {
      parts.push(h("p", { class: "when" }, t("video.booked_for", { time: slotText(call.booked_slot) })));
      if (!call.joinable) parts.push(h("p", { class: "hint", id: "join-later-" + call.id }, t("video.join_opens", { time: formatDateTime(call.join_opens_at) })));
    } else if (call.status === "proposed") {
      parts.push(h("p", {}, t("video.proposed_intro")));
    } else if (call.outcome) {
      parts.push(h("p", {}, tEnum("outcome", call.outcome)));
    }
    parts.push(errorBox);
    if (open) {
      parts.push(checklist(call), slotPicker(call, errorBox), translationForm(call, errorBox));
    }
    return h("article", { class: "call-card panel", id: "call-" + call.id, dataset: { status: call.status, joinable: String(call.joinable) } }, parts);
  }

  function signature(call) {
    return JSON.stringify([call.status, call.joinable, call.booked_slot, call.slots, call.translation, call.outcome]);
  }

  function render() {
    const shown = calls.filter((call) => !activeOnly || OPEN_STATUSES.has(call.status));
    const keep = new Set(shown.map((call) => call.id));
    for (const existing of [...container.children]) {
      if (!keep.has(Number(existing.dataset.callId))) existing.remove();
    }
    let previous = null;
    for (const call of shown) {
      let wrapper = container.querySelector(`[data-call-id="${call.id}"]`);
      const sig = signature(call);
      if (!wrapper) {
        wrapper = h("div", { dataset: { callId: String(call.id) } }, card(call));
        signatures.set(call.id, sig);
      } else if (signatures.get(call.id) !== sig) {
        wrapper.replaceChildren(card(call));
        signatures.set(call.id, sig);
      }
      if (previous) previous.after(wrapper); else container.prepend(wrapper);
      previous = wrapper;
    }
    if (onRender) onRender(shown.length);
  }

  function schedule() {
    clearTimeout(timer);
    if (stopped) return;
    const now = serverNow();  // join_opens_at is the server's time; this browser's clock may differ
    let wait = POLL_MS;
    for (const call of calls) {
      if (call.status !== "booked" || !call.join_opens_at) continue;
      const opens = Date.parse(call.join_opens_at);
      const closes = Date.parse(call.join_closes_at);
      if (!call.joinable && now < closes) {
        wait = Math.min(wait, opens > now ? opens - now + 50 : RETRY_MS);
      } else if (call.joinable) {
        wait = Math.min(wait, Math.max(closes - now + 50, RETRY_MS));
      }
    }
    // setTimeout cannot wait longer than about 24 days; the poll is far shorter anyway.
    timer = setTimeout(load, Math.max(50, wait));
  }

  async function load() {
    try {
      const data = await api("GET", "/api/v1/video-calls?limit=50");
      calls = data.items;
      render();
    } catch (failure) {
      if (failure.status === 401 && onUnauthorized) {
        stopped = true;
        onUnauthorized();
        return;
      }
      container.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(failure)));
      signatures.clear();
    }
    schedule();
  }

  window.addEventListener("app:notification", (event) => {
    if (event.detail && event.detail.kind === "video_calls") load();
  });
  load();
  return { reload: load, stop: () => { stopped = true; clearTimeout(timer); } };
}
