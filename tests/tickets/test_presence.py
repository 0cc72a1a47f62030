"""Agents' presence on a ticket: heartbeats, the 30-second window, the others in `viewers`,
and the light poll. On the tickets service itself, SQLite and PostgreSQL."""
import datetime as dt

from services.tickets.core.presence import TicketPresence
from shared import clock
from tests.support import agent
from tests.tickets.conftest import As, new_ticket


def beat(who, number, state="viewing"):
    return who.post(f"/api/v1/agent/tickets/{number}/presence", json={"state": state})


def viewers(who, number):
    response = who.get(f"/api/v1/agent/tickets/{number}")
    assert response.status_code == 200, response.json
    return response.json["viewers"]


def test_other_agents_show_while_their_heartbeats_last_30_seconds(client, alice, support):
    clock.clock.freeze()
    number = new_ticket(alice)["number"]
    carol = As(client, agent(902))
    assert viewers(support, number) == []

    assert beat(support, number).status_code == 204
    assert viewers(support, number) == []  # never oneself
    started = clock.isoformat(clock.now())
    assert viewers(carol, number) == [{"agent": {"id": 900, "name": "Agent 900"}, "state": "viewing",
                                       "since": started}]

    clock.clock.advance(dt.timedelta(seconds=10))
    assert beat(support, number).status_code == 204
    assert viewers(carol, number)[0]["since"] == started  # the same state goes on
    clock.clock.advance(dt.timedelta(seconds=5))
    assert beat(support, number, "typing").status_code == 204
    typing_since = clock.isoformat(clock.now())
    assert viewers(carol, number) == [{"agent": {"id": 900, "name": "Agent 900"}, "state": "typing",
                                       "since": typing_since}]

    assert beat(carol, number).status_code == 204
    assert [v["agent"]["id"] for v in viewers(support, number)] == [902]

    clock.clock.advance(dt.timedelta(seconds=30))
    assert viewers(carol, number)[0]["agent"]["id"] == 900  # exactly 30 s: still there
    clock.clock.advance(dt.timedelta(seconds=1))
    assert viewers(carol, number) == []
    assert viewers(support, number) == []

    # Coming back later starts a new spell, in the same row.
    assert beat(support, number, "typing").status_code == 204
    assert viewers(carol, number)[0]["since"] == clock.isoformat(clock.now())
    assert TicketPresence.select().count() == 2


def test_heartbeats_upsert_one_row_and_old_rows_are_pruned(alice, bob, support):
    clock.clock.freeze()
    first, second = new_ticket(alice)["number"], new_ticket(bob)["number"]
    for _ in range(5):
        assert beat(support, first).status_code == 204
        clock.clock.advance(dt.timedelta(seconds=5))
    assert TicketPresence.select().count() == 1
    clock.clock.advance(dt.timedelta(hours=2))
    assert beat(support, second).status_code == 204
    assert [(row.ticket.number, row.agent_id) for row in TicketPresence.select()] == [(second, 900)]


def test_the_light_poll_gives_viewers_and_the_newest_public_message(client, alice, support):
    ticket = new_ticket(alice)
    number = ticket["number"]
    carol = As(client, agent(902))
    beat(carol, number, "typing")
    poll = support.get(f"/api/v1/agent/tickets/{number}/presence")
    assert poll.status_code == 200
    assert poll.json["viewers"][0]["agent"] == {"id": 902, "name": "Agent 902"}
    assert poll.json["last_public_message_id"] == ticket["messages"][0]["id"]
    assert (poll.json["status"], poll.json["merged_into"]) == ("open", None)

    note = support.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "internal", "kind": "note"})
    assert support.get(f"/api/v1/agent/tickets/{number}/presence").json["last_public_message_id"] == \
        ticket["messages"][0]["id"]
    reply = alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "any news?"})
    assert note.json["message"]["id"] < reply.json["message"]["id"]
    assert support.get(f"/api/v1/agent/tickets/{number}/presence").json["last_public_message_id"] == \
        reply.json["message"]["id"]


def test_bad_presence_calls_are_refused(client, alice, support):
    number = new_ticket(alice)["number"]
    for body in ({}, {"state": "sleeping"}, {"state": None}, {"state": "viewing", "extra": 1}):
        response = support.post(f"/api/v1/agent/tickets/{number}/presence", json=body)
        assert response.status_code == 400, body
        assert response.json["error"]["code"] == "validation_error"
        assert "state" in response.json["error"]["details"]["fields"] or body.get("extra")
    assert beat(support, "99999999").status_code == 404
    assert support.get("/api/v1/agent/tickets/99999999/presence").status_code == 404
    escalated = new_ticket(alice, subject="Escalated one")["number"]
    assert alice.post(f"/api/v1/tickets/{escalated}/escalation", json={"reason": "too slow"}).status_code == 201
    assert beat(support, escalated).status_code == 404  # the senior tier's now, not this agent's
    assert support.get(f"/api/v1/agent/tickets/{escalated}/presence").status_code == 404
    assert beat(alice, number).status_code == 403
    assert alice.get(f"/api/v1/agent/tickets/{number}/presence").status_code == 403
    guest = As(client, {"kind": "guest", "email": "alice@example.com", "name": "g", "scope": {"ticket": number}})
    assert beat(guest, number).status_code == 403
    assert TicketPresence.select().count() == 0
