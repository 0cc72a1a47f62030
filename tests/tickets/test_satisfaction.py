"""Satisfaction ratings: only after a resolution, by the requester or its guest; changeable for 7 days."""
import datetime as dt
import json

from services.tickets.models import OutboxMessage
from shared import clock
from tests.tickets.conftest import As, new_ticket

START = dt.datetime(2027, 3, 1, 10, 0)


def rated_events():
    return [json.loads(row.payload)["data"] for row in OutboxMessage.select().order_by(OutboxMessage.id)
            if row.event_type == "ticket.rated.v1"]


def rate(who, number, rating="good", **extra):
    return who.post(f"/api/v1/tickets/{number}/satisfaction", json={"rating": rating, **extra})


def test_a_rating_after_the_resolution_may_change_for_seven_days(alice, bob, support):
    clock.clock.freeze(START)
    number = new_ticket(alice)["number"]
    refused = rate(alice, number)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "not_resolved"
    clock.clock.advance(dt.timedelta(hours=3))
    support.post(f"/api/v1/agent/tickets/{number}/resolve")
    assert rate(bob, number).status_code == 404
    assert rate(support, number).status_code == 404
    for bad in ({"rating": "meh"}, {}, {"rating": "good", "comment": "x" * 2001}, {"rating": "good", "stars": 5}):
        answer = alice.post(f"/api/v1/tickets/{number}/satisfaction", json=bad)
        assert answer.status_code == 400 and answer.json["error"]["code"] == "validation_error", bad
    first = rate(alice, number, "bad", comment="  Took too long.  ")
    assert first.status_code == 201, first.json
    assert first.json["satisfaction"] == {"rating": "bad", "comment": "Took too long.", "rated_at": "2027-03-01T13:00:00.000Z",
                                          "changeable_until": "2027-03-08T13:00:00.000Z", "locked": False}
    clock.clock.advance(dt.timedelta(days=6, hours=23))
    changed = rate(alice, number, "good")
    assert changed.status_code == 200 and changed.json["satisfaction"]["rating"] == "good"
    assert changed.json["satisfaction"]["comment"] is None
    assert [(e["rating"], e["changed"], e["comment"]) for e in rated_events()] == [
        ("bad", False, "Took too long."), ("good", True, None)]
    assert rated_events()[0]["number"] == number and rated_events()[0]["status"] == "resolved"
    view = support.get(f"/api/v1/agent/tickets/{number}").json["satisfaction"]
    assert view["rating"] == "good" and view["rated_at"] == "2027-03-08T12:00:00.000Z"
    assert alice.get(f"/api/v1/tickets/{number}").json["satisfaction"]["rating"] == "good"
    clock.clock.advance(dt.timedelta(hours=1, seconds=1))
    locked = rate(alice, number, "bad")
    assert locked.status_code == 409 and locked.json["error"]["code"] == "rating_locked"
    assert alice.get(f"/api/v1/tickets/{number}").json["satisfaction"]["rating"] == "good"
    assert len(rated_events()) == 2


def test_no_rating_until_it_is_given(alice, support):
    number = new_ticket(alice)["number"]
    assert alice.get(f"/api/v1/tickets/{number}").json["satisfaction"] is None
    assert support.get(f"/api/v1/agent/tickets/{number}").json["satisfaction"] is None


def test_a_guest_rates_its_ticket(client, support):
    anonymous = As(client, {"kind": "anonymous"})
    created = anonymous.post("/api/v1/guest/tickets", json={
        "email": "guest@example.com", "subject": "Card", "category": "other", "description": "My card fails."})
    number = created.json["number"]
    guest = As(client, {"kind": "guest", "email": "guest@example.com", "name": "guest", "scope": {"ticket": number}})
    other = As(client, {"kind": "guest", "email": "other@example.com", "name": "other", "scope": {"ticket": number}})
    support.post(f"/api/v1/agent/tickets/{number}/resolve")
    assert rate(other, number).status_code == 404
    assert rate(guest, number).status_code == 201
    assert rated_events()[0]["requester"]["kind"] == "guest"
