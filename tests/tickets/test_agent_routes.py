"""The tickets service itself refuses customers and guests on each of its agent and admin routes (the gateway
refuses them first; a service decides for itself whatever the caller in its internal token): every rule of
the app's URL map under `/api/v1/agent/` and `/api/v1/admin/`, each method, with the caller's own ticket in
the path and a body an agent's call would take, answers 403 or 404 in the contract's error shape and changes
nothing. On SQLite and PostgreSQL."""
from __future__ import annotations

import re

import pytest

from shared import clock
from tests.e2e.test_agent_calls_refused import MACRO, SLOT
from tests.tickets.conftest import As, new_ticket

BODIES = {"messages": {"body": "Resolved, goodbye.", "kind": "reply", "force": True}, "tags": {"tags": ["x"]},
          "presence": {"state": "typing"}, "status": {"status": "away"}, "redaction": {"reason": "A card number"},
          "reschedule": {"slots": [SLOT]}, "macros": MACRO, "sla-policies": {"items": []}, "calendars": {"items": []},
          "articles": {"slug": "hijack", "locale": "en", "category": "wallet", "title": "Hijack", "body": "x"}}


def agent_rules(app) -> list[tuple[str, str]]:
    return sorted((method, rule.rule) for rule in app.url_map.iter_rules()
                  if rule.rule.startswith(("/api/v1/agent/", "/api/v1/admin/"))
                  for method in rule.methods - {"HEAD", "OPTIONS"})


@pytest.mark.parametrize("kind", ["customer", "guest"])
def test_customers_and_guests_get_403_or_404_on_every_agent_route(app, client, alice, support, kind):
    clock.clock.freeze()  # the views before and after show the ticket's age
    number, other = new_ticket(alice)["number"], new_ticket(alice, category="wallet")["number"]
    own = {"number": number, "message_id": alice.get(f"/api/v1/tickets/{number}").json["messages"][0]["id"],
           "macro_id": support.get("/api/v1/agent/macros").json["items"][0]["id"], "slug": "any",
           "chat_id": "0" * 32}
    caller = alice if kind == "customer" else As(client, {"kind": "guest", "email": "alice@example.com",
                                                          "scope": {"ticket": number}})
    bodies = {**BODIES, "assign": {"agent_id": 1}, "merge": {"into": other}}
    before = support.get(f"/api/v1/agent/tickets/{number}").json, support.get("/api/v1/agent/macros").json

    rules = agent_rules(app)
    assert len(rules) >= 30
    wrong = []
    for method, rule in rules:
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(own[m.group(1)]), rule)
        body = None if method in ("GET", "DELETE") else next(
            (b for end, b in bodies.items() if re.search(rf"/{end}(/<[^>]+>)?$", rule)), {})
        answer = caller._call(method.lower(), path, json=body)
        error = (answer.json or {}).get("error", {}) if answer.is_json else {}
        if answer.status_code not in (403, 404) or not (error.get("code") and error.get("message")):
            wrong.append((method, rule, answer.status_code))
    assert wrong == []
    after = support.get(f"/api/v1/agent/tickets/{number}").json, support.get("/api/v1/agent/macros").json
    assert after == before
