"""Macros on the tickets service, on SQLite and PostgreSQL: editors write them, agents send them
in the ticket's language with the placeholders filled."""
import datetime as dt

import pytest

from services.tickets.models import OutboxMessage
from shared import clock
from tests.support import agent
from tests.tickets.conftest import As, new_ticket

BODIES = {"en": "Hi {{customer_name}}, ticket {{ticket_number}} is with me. {{agent_name}}",
          "es": "Hola {{ customer_name }}, el ticket {{ticket_number}} es mío. {{agent_name}}",
          "zh-Hant": "{{customer_name}} 您好，工單 {{ticket_number}} 由我處理。{{agent_name}}"}


@pytest.fixture
def editor(client):
    return As(client, {**agent(960), "name": "Eva", "roles": ["editor"]})


def macro(editor, **fields):
    body = {"title": "Greeting", "kind": "reply", "bodies": BODIES, **fields}
    response = editor.post("/api/v1/agent/macros", json=body)
    assert response.status_code == 201, response.json
    return response.json


def test_the_shipped_macros_are_there_in_three_languages(support):
    items = support.get("/api/v1/agent/macros").json["items"]
    assert len(items) >= 3
    assert all(item["bodies"]["en"] and item["bodies"]["es"] and item["bodies"]["zh-Hant"] for item in items)
    assert any(item["resolve"] for item in items) and any(item["kind"] == "info_request" for item in items)


def test_editors_write_change_and_delete_macros(editor, support):
    made = macro(editor, resolve=True)
    assert made == {**made, "title": "Greeting", "kind": "reply", "resolve": True, "bodies": BODIES}
    listed = {item["id"]: item for item in support.get("/api/v1/agent/macros").json["items"]}
    assert listed[made["id"]]["bodies"] == BODIES
    changed = editor.put(f"/api/v1/agent/macros/{made['id']}", json={
        "title": "Ask for the TXID", "kind": "info_request", "bodies": {"en": "TXID please, {{customer_name}}."}})
    assert changed.status_code == 200
    assert changed.json == {**changed.json, "title": "Ask for the TXID", "kind": "info_request", "resolve": False,
                            "bodies": {"en": "TXID please, {{customer_name}}.", "es": None, "zh-Hant": None}}
    assert editor.delete(f"/api/v1/agent/macros/{made['id']}").status_code == 204
    assert made["id"] not in [item["id"] for item in support.get("/api/v1/agent/macros").json["items"]]
    assert editor.delete(f"/api/v1/agent/macros/{made['id']}").status_code == 404
    assert editor.put(f"/api/v1/agent/macros/{made['id']}", json={
        "title": "x", "kind": "reply", "bodies": {"en": "x"}}).status_code == 404


def test_with_a_locale_the_macros_written_in_it_come_first(editor, support):
    english_only = macro(editor, title="AAA English only", bodies={"en": "Only English, {{agent_name}}."})
    items = support.get("/api/v1/agent/macros?locale=es").json["items"]
    mine = next(item for item in items if item["id"] == english_only["id"])
    assert (mine["has_locale"], mine["body"]) == (False, "Only English, {{agent_name}}.")
    assert items[-1]["id"] == english_only["id"]  # written in Spanish first, whatever the title
    assert all(item["has_locale"] for item in items[:-1])
    assert support.get("/api/v1/agent/macros?locale=fr").status_code == 400


def test_only_editors_write_and_only_agents_read(editor, support, alice, client):
    made = macro(editor)
    body = {"title": "T", "kind": "reply", "bodies": {"en": "x"}}
    for call in (lambda who: who.post("/api/v1/agent/macros", json=body),
                 lambda who: who.put(f"/api/v1/agent/macros/{made['id']}", json=body),
                 lambda who: who.delete(f"/api/v1/agent/macros/{made['id']}")):
        assert call(support).status_code == 403
        assert call(alice).status_code == 403
    guest = As(client, {"kind": "guest", "email": "g@example.com", "scope": {"ticket": "12345678"}})
    for who in (alice, guest):
        assert who.get("/api/v1/agent/macros").status_code == 403
        assert who.post(f"/api/v1/agent/tickets/12345678/macros/{made['id']}").status_code == 403
        assert who.get(f"/api/v1/agent/tickets/12345678/macros/{made['id']}").status_code == 403


@pytest.mark.parametrize("bodies,field", [
    ({}, "en"),
    ({"en": ""}, "en"),
    ({"en": "   "}, "en"),
    ({"en": "x" * 5001}, "en"),
    ({"en": "Hi {{customer_email}}"}, "en"),
    ({"en": "ok", "es": "Hola {{nombre}}"}, "es"),
    ({"en": "ok", "fr": "Bonjour"}, "fr"),
])
def test_bad_bodies_are_400_naming_the_field(editor, bodies, field):
    response = editor.post("/api/v1/agent/macros", json={"title": "T", "kind": "reply", "bodies": bodies})
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["details"]["fields"]["bodies"]


def test_bad_titles_kinds_and_secrets_are_refused(editor):
    for fields, name in (({"title": ""}, "title"), ({"title": "x" * 121}, "title"), ({"kind": "email"}, "kind"),
                         ({"resolve": "maybe"}, "resolve"), ({"extra": 1}, "extra")):
        response = editor.post("/api/v1/agent/macros", json={"title": "T", "kind": "reply",
                                                             "bodies": {"en": "x"}, **fields})
        assert response.status_code == 400 and name in response.json["error"]["details"]["fields"], fields
    phrase = ("abandon ability able about above absent absorb abstract absurd abuse access accident")
    secret = editor.post("/api/v1/agent/macros", json={"title": "T", "kind": "reply",
                                                       "bodies": {"en": "ok", "es": f"frase: {phrase}"}})
    assert secret.status_code == 400 and secret.json["error"]["code"] == "secret_detected"
    assert secret.json["error"]["details"]["fields"] == ["bodies.es"]
    assert editor.post("/api/v1/agent/macros", data="nope", content_type="text/plain").status_code == 415


def test_preview_and_send_in_the_tickets_language(editor, support, client):
    made = macro(editor)
    carla = As(client, {"kind": "user", "user_id": 5, "role": "customer", "email": "carla.g@example.com",
                        "locale": "es"})
    number = new_ticket(carla, locale="es")["number"]
    preview = support.get(f"/api/v1/agent/tickets/{number}/macros/{made['id']}")
    assert preview.status_code == 200
    assert preview.json == {"macro_id": made["id"], "kind": "reply", "resolve": False, "locale": "es",
                            "body": f"Hola carla.g, el ticket {number} es mío. Agent 900"}
    assert OutboxMessage.select().where(OutboxMessage.event_type == "ticket.message_added.v1").count() == 0
    sent = support.post(f"/api/v1/agent/tickets/{number}/macros/{made['id']}")
    assert sent.status_code == 201
    message = sent.json["message"]
    assert (message["kind"], message["author"], message["body"]) == (
        "reply", {"role": "agent", "name": "Agent 900"}, preview.json["body"])
    seen = carla.get(f"/api/v1/tickets/{number}").json["messages"]
    assert seen[-1]["body"] == preview.json["body"]
    assert OutboxMessage.select().where(OutboxMessage.event_type == "ticket.message_added.v1").count() == 1


def test_english_fallback_named_requester_and_edited_body(editor, support, client):
    made = macro(editor, bodies={"en": "Dear {{customer_name}}, see {{ticket_number}}."})
    dora = As(client, {"kind": "user", "user_id": 6, "role": "customer", "email": "d@example.com",
                       "name": "Dora", "locale": "zh-Hant"})
    number = new_ticket(dora, locale="zh-Hant")["number"]
    preview = support.get(f"/api/v1/agent/tickets/{number}/macros/{made['id']}").json
    assert (preview["locale"], preview["body"]) == ("en", f"Dear Dora, see {number}.")
    edited = support.post(f"/api/v1/agent/tickets/{number}/macros/{made['id']}",
                          json={"body": "Dear Dora, one more detail please."})
    assert edited.status_code == 201 and edited.json["message"]["body"] == "Dear Dora, one more detail please."
    assert support.post(f"/api/v1/agent/tickets/{number}/macros/{made['id']}",
                        json={"body": ""}).status_code == 400
    assert support.post(f"/api/v1/agent/tickets/{number}/macros/{made['id']}",
                        json={"bodyy": "x"}).status_code == 400


def test_kinds_resolve_and_closed_tickets(editor, support, alice):
    ask = macro(editor, kind="info_request", bodies={"en": "Please send the TXID."})
    done = macro(editor, kind="reply", resolve=True, bodies={"en": "Solved, thanks!"})
    note = macro(editor, kind="note", bodies={"en": "Checked with {{agent_name}}."})
    number = new_ticket(alice)["number"]
    assert support.post(f"/api/v1/agent/tickets/{number}/macros/{ask['id']}").json["ticket_status"] == "awaiting_user"
    assert support.post(f"/api/v1/agent/tickets/{number}/macros/{note['id']}").status_code == 201
    assert "Checked with" not in " ".join(m["body"] for m in alice.get(f"/api/v1/tickets/{number}").json["messages"])
    resolved = support.post(f"/api/v1/agent/tickets/{number}/macros/{done['id']}")
    assert resolved.status_code == 201 and resolved.json["ticket_status"] == "resolved"
    assert alice.get(f"/api/v1/tickets/{number}").json["status"] == "resolved"
    clock.clock.advance(dt.timedelta(days=15))  # past the reopen window: closed
    closed = support.post(f"/api/v1/agent/tickets/{number}/macros/{ask['id']}")
    assert closed.status_code == 409 and closed.json["error"]["code"] == "ticket_closed"


def test_unknown_macro_or_ticket_is_404(editor, support, senior, alice):
    made = macro(editor)
    number = new_ticket(alice)["number"]
    assert support.post(f"/api/v1/agent/tickets/{number}/macros/999999").status_code == 404
    assert support.get(f"/api/v1/agent/tickets/{number}/macros/999999").status_code == 404
    assert support.post(f"/api/v1/agent/tickets/00000000/macros/{made['id']}").status_code == 404
    assert support.get("/api/v1/agent/macros/999999").status_code == 404
    # A ticket of another queue is absent for this agent.
    alice.post(f"/api/v1/tickets/{number}/escalation", json={"reason": "Senior please", "department": "kyc"})
    assert support.post(f"/api/v1/agent/tickets/{number}/macros/{made['id']}").status_code == 404
