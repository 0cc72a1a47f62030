// The referral program: the code and link to share (with copy buttons), how many friends
// count, and the boxes earned per milestone.
import { $, api, errorText, formatDate, h, show, t, tEnum } from "../core.js";

async function copy(input) {
  const text = input.value;
  try {
    await navigator.clipboard.writeText(text);
  } catch (blocked) {
    // Without clipboard access (an insecure origin, an old browser): select it for Ctrl+C.
    input.select();
    document.execCommand && document.execCommand("copy");
  }
  show($("#copied"), t("rewards.copied"));
}

async function allBoxes() {
  const boxes = [];
  let cursor = null;
  do {
    const data = await api("GET", "/api/v1/referrals/boxes?limit=100" + (cursor ? "&cursor=" + cursor : ""));
    boxes.push(...data.items);
    cursor = data.next_cursor;
  } while (cursor && boxes.length < 1000);
  return boxes;
}

async function load() {
  try {
    const me = await api("GET", "/api/v1/referrals/me");
    // Both sections are laid out from the start (no shift when the figures arrive); the
    // invitation gives way to the reason when there is none to share.
    if (!me.eligible) {
      $("#invite").hidden = true;
      show($("#ineligible"), tEnum("referral_reason", me.reason || "unavailable"));
    } else {
      $("#referral-code").value = me.code;
      $("#referral-link").value = me.link;
    }
    $("#invite").removeAttribute("aria-busy");
    $("#invitee-count").textContent = String(Array.isArray(me.invitees) ? me.invitees.length : me.invitees);
    $("#boxes-earned").textContent = String(me.boxes_earned);
    const invitees = me.eligible ? (await api("GET", "/api/v1/referrals/invitees?limit=100")).items : [];
    if (invitees.length) {
      // Each friend who joined with the code, when they joined and the milestones they reached.
      const list = $("#invitee-list");
      list.replaceChildren(...invitees.map((invitee) => h("li", {},
        h("span", {}, `${t("rewards.friend")} · ${formatDate(invitee.registered_at)}`),
        " ", invitee.milestones.length
          ? invitee.milestones.map((milestone) => h("span", { class: "tag" }, tEnum("milestone", milestone)))
          : h("span", { class: "muted" }, t("rewards.no_milestone_yet")))));
      list.hidden = false;
    }
    const boxes = await allBoxes();
    for (const milestone of ["app_installed", "deposit_50"]) {
      for (const role of ["inviter", "invitee"]) {
        const count = boxes.filter((box) => box.milestone === milestone && box.role === role).length;
        $(`#m-${milestone}-${role}`).textContent = String(count);
      }
    }
    $("#progress").removeAttribute("aria-busy");
  } catch (failure) {
    $("#invite").hidden = true;
    $("#progress").hidden = true;
    show($("#rewards-error"), errorText(failure));
  }
}

document.querySelectorAll("[data-copy]").forEach((button) =>
  button.addEventListener("click", () => copy(document.getElementById(button.dataset.copy))));
load();
