// Mystery boxes: open one and the reward is revealed (drawn by the server; opening again
// shows the same reward). Rewards go to the funding account: Assets > Capital Flows.
import { $, api, errorText, formatDateTime, h, show, t, tEnum } from "../core.js";

const list = $("#box-list");
let cursor = null;

function rewardText(reward) {
  if (reward.kind === "fee_rebate_card") return t("reward.fee_rebate_card", { value: reward.usdt_value });
  return t("reward.crypto", { amount: reward.amount, asset: reward.kind, value: reward.usdt_value });
}

function boxItem(box) {
  const reward = h("p", { class: "reward", id: "reward-" + box.id, "aria-live": "polite" },
    box.reward ? rewardText(box.reward) : "");
  const item = h("li", { class: "box " + box.status, id: "box-" + box.id, dataset: { status: box.status } },
    h("div", { class: "box-art", "aria-hidden": "true" }),
    h("h2", {}, tEnum("milestone", box.milestone)),
    h("p", { class: "hint" }, tEnum("box_role", box.role), " · ", t("boxes.granted", { time: formatDateTime(box.granted_at) })),
    reward);
  if (box.status === "unopened") {
    const button = h("button", { type: "button", id: "open-" + box.id }, t("boxes.open"));
    button.addEventListener("click", async () => {
      button.disabled = true;
      item.classList.add("opening");
      try {
        const answer = await api("POST", `/api/v1/referrals/boxes/${box.id}/open`);
        // A moment of suspense, then the reveal.
        setTimeout(() => {
          item.classList.remove("opening", "unopened");
          item.classList.add("opened", "revealed");
          item.dataset.status = "opened";
          reward.textContent = rewardText(answer.reward);
          button.remove();
          item.append(h("p", { class: "hint" }, t("boxes.credit_note")));
          reward.focus();
        }, 600);
      } catch (failure) {
        item.classList.remove("opening");
        button.disabled = false;
        item.append(h("p", { class: "error", role: "alert" }, errorText(failure)));
      }
    });
    item.append(button);
  }
  reward.tabIndex = -1;
  return item;
}

async function load(more = false) {
  try {
    const data = await api("GET", "/api/v1/referrals/boxes?limit=20" + (more && cursor ? "&cursor=" + cursor : ""));
    const items = data.items.map(boxItem);
    if (more) list.append(...items); else list.replaceChildren(...items);
    cursor = data.next_cursor;
    $("#load-more").hidden = !cursor;
    $("#boxes-empty").hidden = list.children.length > 0;
  } catch (failure) {
    show($("#boxes-error"), errorText(failure));
  }
}

$("#load-more").addEventListener("click", () => load(true));
load();
