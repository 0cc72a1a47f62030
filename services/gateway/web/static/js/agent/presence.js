// Who else is on this ticket, live: this page sends a heartbeat (viewing, or typing while the
// reply box is being edited) and polls the others; a public message newer than the page's
// newest tells it to fetch the ticket again.
import { $, api, h, page, t } from "../core.js";

const HEARTBEAT_MS = 10000;   // the server forgets a viewer 30 s after its last heartbeat
const POLL_MS = 3000;
const TYPING_MS = 8000;       // this long after the last keystroke the agent is viewing again

/** A viewer in words; `{agent: {id, name}, state}`. */
function viewerItem(viewer) {
  const key = viewer.state === "typing" ? "presence.typing" : "presence.viewing";
  return h("span", { class: "viewer " + viewer.state, dataset: { agentId: String(viewer.agent.id), state: viewer.state } },
    t(key, { name: viewer.agent.name || t("agent.agent_number", { id: viewer.agent.id }) }));
}

let shown = "";

/** The other agents on the ticket; redrawn (and so announced) only when someone came, left or changed state. */
export function showViewers(viewers) {
  const others = (viewers || []).filter((viewer) => viewer.agent && viewer.agent.id !== page.user.id);
  const signature = others.map((viewer) => `${viewer.agent.id}:${viewer.state}:${viewer.agent.name}`).join(",");
  if (signature === shown) return;
  shown = signature;
  $("#presence").replaceChildren(...others.map(viewerItem));
}

/**
 * Start the heartbeat and the poll. `newestSeen()` is the id of the newest public message the
 * page shows; `changed()` fetches the ticket again.
 */
export function startPresence(base, { textarea, newestSeen, changed }) {
  let lastKey = 0;
  let sentState = null;
  let lastBeat = 0;
  let reloadedFor = null;
  let mergedSeen;  // undefined until the first poll
  let stopped = false;

  const state = () => (Date.now() - lastKey < TYPING_MS ? "typing" : "viewing");

  async function beat() {
    const now = state();
    sentState = now;
    lastBeat = Date.now();
    try {
      await api("POST", base + "/presence", { json: { state: now } });
    } catch (ignored) {
      // The next beat tries again; presence is a courtesy, not a gate.
    }
  }

  async function poll() {
    try {
      const data = await api("GET", base + "/presence");
      showViewers(data.viewers);
      const latest = data.last_public_message_id;
      const merged = data.merged_into || null;
      if (latest != null && latest > (newestSeen() || 0) && latest !== reloadedFor) {
        reloadedFor = latest;
        changed();
      } else if (mergedSeen !== undefined && merged !== mergedSeen) {
        changed();  // another agent merged it meanwhile: the page says where it went
      }
      mergedSeen = merged;
    } catch (ignored) {
      // Kept as it was until the next poll answers.
    }
  }

  function tick() {
    if (stopped) return;
    if (state() !== sentState || Date.now() - lastBeat >= HEARTBEAT_MS) beat();
  }

  textarea.addEventListener("input", () => {
    lastKey = Date.now();
    if (sentState !== "typing") beat();
  });
  let timers = [];
  function start() {
    stopped = false;
    beat();
    poll();
    timers = [setInterval(tick, 1000), setInterval(() => { if (!stopped) poll(); }, POLL_MS)];
  }
  // A page put away (closed, or kept in the back/forward cache) stops its heartbeat: the others
  // see the agent leave within 30 s; brought back, it is here again.
  window.addEventListener("pagehide", () => { stopped = true; timers.forEach(clearInterval); });
  window.addEventListener("pageshow", (event) => { if (event.persisted) start(); });
  start();
  return { typed: () => { lastKey = Date.now(); tick(); } };
}
