// What every agent page's header holds besides the bell: the agent's own status (available
// agents get new tickets by round robin, away ones do not) and the directory it comes from.
import { api, errorText, page, toast } from "../core.js";

let agents = null;

/** The agent directory (`GET /api/v1/agent/agents`), asked once per page. */
export function directory() {
  if (!agents) {
    agents = api("GET", "/api/v1/agent/agents").then((data) => data.items);
    agents.catch(() => { agents = null; });  // a later caller asks again
  }
  return agents;
}

function setStatus(select, status) {
  select.value = status;
  select.dataset.status = status;
}

async function mountStatus() {
  const select = document.getElementById("my-status");
  if (!select) return;
  try {
    const me = (await directory()).find((agent) => agent.id === page.user.id);
    if (me) setStatus(select, me.status);
    select.disabled = false;
  } catch (failure) {
    return;  // the header stays as it is; the pages show their own errors
  }
  select.addEventListener("change", async () => {
    const wanted = select.value;
    select.disabled = true;
    try {
      await api("PUT", "/api/v1/agent/me/status", { json: { status: wanted } });
      setStatus(select, wanted);
    } catch (failure) {
      setStatus(select, wanted === "away" ? "available" : "away");
      toast(errorText(failure), "error");
    } finally {
      select.disabled = false;
    }
  });
}

export function mountAgentBar() {
  mountStatus();
}
