"""The agent workspace's own pages: the search box's results and the editors' macros (the
console and the ticket page are in `pages`). Their scripts call the agent API like any client."""
from __future__ import annotations

from flask import redirect, request

from services.gateway.web.pages import agent_page, blp, viewer

# The languages a macro is written in (every catalogue's), and what a macro may send.
MACRO_LANGUAGES = ("en", "es", "zh-Hant")
MACRO_KINDS = ("reply", "info_request", "note")
SEARCH_MAX = 200


@blp.get("/agent/search")
def agent_search():
    """The results of the agents' search box (in the header of every agent page)."""
    query = request.args.get("q", "").strip()[:SEARCH_MAX]
    return agent_page("agent_search.html", "agent_search", query=query, data={"q": query})


@blp.get("/agent/macros")
def agent_macros():
    """The editors' macros: list, write in three languages, delete (other agents go back to the console)."""
    user = viewer()
    if user is not None and user.is_agent and "editor" not in user.roles:
        return redirect("/agent", 303)
    return agent_page("agent_macros.html", "agent_macros", macro_languages=MACRO_LANGUAGES,
                      macro_kinds=MACRO_KINDS)
