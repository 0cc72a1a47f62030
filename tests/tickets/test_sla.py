"""SLA clocks through the tickets service: due times from the defaults and the supervisors' policies,
achievement, pauses, the queue's SLA order and the breach scheduler."""
import datetime as dt
import json

import pytest

from services.tickets.models import OutboxMessage, db
from services.tickets.sla import breaches
from shared import clock
from tests.support import agent, as_replicas
from tests.tickets.conftest import As, new_ticket

START = dt.datetime(2027, 2, 5, 16, 30)  # a Friday, 17:30 in Madrid


def supervisor(user_id=950):
    return {**agent(user_id), "roles": ("supervisor",)}


@pytest.fixture
def boss(client):
    return As(client, supervisor())


def z(moment):
    return clock.isoformat(moment)


def agent_view(who, number):
    response = who.get(f"/api/v1/agent/tickets/{number}")
    assert response.status_code == 200, response.json
    return response.json


def events(event_type):
    """The data of the outbox's events of one type, oldest first."""
    return [json.loads(row.payload)["data"] for row in OutboxMessage.select().order_by(OutboxMessage.id)
            if row.event_type == event_type]


def test_a_new_ticket_runs_the_default_targets(alice, support):
    clock.clock.freeze(START)
    ticket = new_ticket(alice)  # deposit_withdrawal: first response in 2 hours
    sla = agent_view(support, ticket["number"])["sla"]
    assert sla["first_response"] == {"due_at": z(START + dt.timedelta(hours=2)), "achieved_at": None,
                                     "breached": False, "paused": False}
    assert sla["resolution"]["due_at"] == z(START + dt.timedelta(hours=72))
    assert sla["next_response"] == {"due_at": None, "achieved_at": None, "breached": False, "paused": False}
    item = support.get("/api/v1/agent/tickets").json["items"][0]
    assert item["sla_due_at"] == z(START + dt.timedelta(hours=2))
    account = new_ticket(alice, category="account_security")
    assert agent_view(support, account["number"])["sla"]["first_response"]["due_at"] == z(START + dt.timedelta(hours=1))


def test_replies_achieve_first_and_next_response(alice, support):
    clock.clock.freeze(START)
    number = new_ticket(alice)["number"]
    support.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "a note", "kind": "note"})
    assert agent_view(support, number)["sla"]["first_response"]["achieved_at"] is None
    clock.clock.advance(dt.timedelta(minutes=20))
    support.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "Looking into it."})
    first = agent_view(support, number)["sla"]["first_response"]
    assert first["achieved_at"] == z(START + dt.timedelta(minutes=20)) and first["breached"] is False
    clock.clock.advance(dt.timedelta(minutes=10))
    alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "Any news?"})
    following = agent_view(support, number)["sla"]["next_response"]
    assert following["due_at"] == z(START + dt.timedelta(minutes=30, hours=8))
    clock.clock.advance(dt.timedelta(minutes=5))
    alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "Hello?"})  # the round already runs
    assert agent_view(support, number)["sla"]["next_response"]["due_at"] == following["due_at"]
    support.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "Credited now."})
    assert agent_view(support, number)["sla"]["next_response"]["achieved_at"] == z(START + dt.timedelta(minutes=35))


def test_waiting_for_the_customer_pauses_the_clocks(alice, support):
    clock.clock.freeze(START)
    number = new_ticket(alice)["number"]
    clock.clock.advance(dt.timedelta(hours=1))
    support.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "Your TXID?", "kind": "info_request"})
    sla = agent_view(support, number)["sla"]
    assert sla["first_response"]["achieved_at"] == z(START + dt.timedelta(hours=1))
    assert sla["resolution"] == {"due_at": None, "achieved_at": None, "breached": False, "paused": True}
    clock.clock.advance(dt.timedelta(hours=5))
    alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "Here it is."})
    sla = agent_view(support, number)["sla"]
    assert sla["resolution"]["due_at"] == z(START + dt.timedelta(hours=72 + 5)) and not sla["resolution"]["paused"]
    clock.clock.advance(dt.timedelta(hours=1))
    support.post(f"/api/v1/agent/tickets/{number}/resolve")
    resolution = agent_view(support, number)["sla"]["resolution"]
    assert resolution["achieved_at"] == z(START + dt.timedelta(hours=7)) and not resolution["breached"]


def test_office_hours_from_a_supervisors_calendar(alice, support, boss):
    office = {"name": "madrid-office", "timezone": "Europe/Madrid", "holidays": ["2027-02-08"],
              "hours": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}}
    response = boss.put("/api/v1/admin/calendars", json={"items": [office]})
    assert response.status_code == 200, response.json
    assert [c["name"] for c in response.json["items"]] == ["always", "madrid-office"]
    policy = {"category": "other", "tier": "standard", "first_response_s": 4 * 3600, "next_response_s": 8 * 3600,
              "resolution_s": 72 * 3600, "calendar": "madrid-office"}
    assert boss.put("/api/v1/admin/sla-policies", json={"items": [policy]}).status_code == 200
    clock.clock.freeze(START)  # Friday 17:30 in Madrid; Monday the 8th is a holiday
    number = new_ticket(alice, category="other")["number"]
    # Tuesday 12:30 in Madrid (UTC+1)
    assert agent_view(support, number)["sla"]["first_response"]["due_at"] == "2027-02-09T11:30:00.000Z"


def test_supervisors_edit_policies_and_calendars(boss, support, alice):
    items = boss.get("/api/v1/admin/sla-policies").json["items"]
    assert len(items) == 14
    defaults = {(p["category"], p["tier"]): p for p in items}
    assert defaults[("account_security", "standard")] == {
        "category": "account_security", "tier": "standard", "first_response_s": 3600,
        "next_response_s": 8 * 3600, "resolution_s": 72 * 3600, "calendar": "always"}
    assert defaults[("deposit_withdrawal", "senior")]["first_response_s"] == 7200
    assert defaults[("wallet", "standard")]["first_response_s"] == 4 * 3600
    assert boss.get("/api/v1/admin/calendars").json["items"] == [
        {"name": "always", "timezone": "UTC", "holidays": [],
         "hours": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}]
    for who in (support, alice):
        assert who.get("/api/v1/admin/sla-policies").status_code == 403
        assert who.put("/api/v1/admin/calendars", json={"items": []}).status_code == 403
    bad = boss.put("/api/v1/admin/sla-policies", json={"items": [
        {"category": "wallet", "tier": "standard", "first_response_s": 0, "next_response_s": 1, "resolution_s": 1}]})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "validation_error"
    unknown = boss.put("/api/v1/admin/sla-policies", json={"items": [
        {"category": "wallet", "tier": "standard", "first_response_s": 5, "next_response_s": 5, "resolution_s": 5,
         "calendar": "nowhere"}]})
    assert unknown.status_code == 400 and "items.0.calendar" in unknown.json["error"]["details"]["fields"]
    broken = boss.put("/api/v1/admin/calendars", json={"items": [
        {"name": "x", "timezone": "Europe/Atlantis", "hours": {}}]})
    assert broken.status_code == 400 and "Atlantis" in str(broken.json["error"]["details"])


def test_the_scheduler_publishes_a_breach_once(app, alice, support, boss):
    boss.put("/api/v1/admin/sla-policies", json={"items": [
        {"category": "wallet", "tier": "standard", "first_response_s": 5, "next_response_s": 5, "resolution_s": 3600}]})
    clock.clock.freeze(START)
    number = new_ticket(alice, category="wallet")["number"]
    database, outbox = app.extensions["outbox"].model._meta.database, app.extensions["outbox"]
    assert breaches.publish_due_breaches(outbox, database) == 0
    clock.clock.advance(dt.timedelta(seconds=6))
    assert agent_view(support, number)["sla"]["first_response"]["breached"] is True
    assert breaches.publish_due_breaches(outbox, database) == 1
    assert breaches.publish_due_breaches(outbox, database) == 0
    [event] = events("ticket.sla_breached.v1")
    assert event["metric"] == "first_response"
    assert event["due_at"] == z(START + dt.timedelta(seconds=5))
    assert event["number"] == number


def test_a_late_reply_is_a_breach_published_once(app, alice, support, boss):
    boss.put("/api/v1/admin/sla-policies", json={"items": [
        {"category": "wallet", "tier": "standard", "first_response_s": 5, "next_response_s": 5, "resolution_s": 3600}]})
    clock.clock.freeze(START)
    number = new_ticket(alice, category="wallet")["number"]
    clock.clock.advance(dt.timedelta(seconds=10))
    support.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "Sorry for the wait."})
    first = agent_view(support, number)["sla"]["first_response"]
    assert first["breached"] is True and first["achieved_at"] == z(START + dt.timedelta(seconds=10))
    database, outbox = app.extensions["outbox"].model._meta.database, app.extensions["outbox"]
    assert breaches.publish_due_breaches(outbox, database) == 1
    assert breaches.publish_due_breaches(outbox, database) == 0
    assert [e["metric"] for e in events("ticket.sla_breached.v1")] == ["first_response"]


def test_the_queue_sorts_by_the_earliest_due_time(alice, support):
    clock.clock.freeze(START)
    numbers = {}
    for category in ("other", "deposit_withdrawal", "account_security"):  # 4 h, 2 h, 1 h
        numbers[category] = new_ticket(alice, category=category, txid=None)["number"]
        clock.clock.advance(dt.timedelta(minutes=1))
    support.post(f"/api/v1/agent/tickets/{numbers['other']}/resolve")
    expected = [numbers["account_security"], numbers["deposit_withdrawal"], numbers["other"]]
    listed = support.get("/api/v1/agent/tickets?sort=sla").json["items"]
    assert [item["number"] for item in listed] == expected
    assert listed[-1]["sla_due_at"] is None
    seen, cursor = [], None
    while True:
        page = support.get("/api/v1/agent/tickets?sort=sla&limit=1" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert support.get("/api/v1/agent/tickets?sort=due").status_code == 400


@pytest.mark.timeout(120)
def test_two_scheduler_replicas_publish_each_breach_once(app, alice, boss):
    boss.put("/api/v1/admin/sla-policies", json={"items": [
        {"category": "wallet", "tier": "standard", "first_response_s": 5, "next_response_s": 5, "resolution_s": 10}]})
    clock.clock.freeze(START)
    numbers = [new_ticket(alice, category="wallet", subject=f"Wallet {i}")["number"] for i in range(8)]
    clock.clock.advance(dt.timedelta(seconds=30))  # first response and resolution of each: 16 breaches
    outbox = app.extensions["outbox"]
    published = as_replicas(lambda: breaches.publish_due_breaches(outbox, db.obj, limit=3), db.obj)
    assert sum(published) == 16
    seen = sorted((e["number"], e["metric"]) for e in events("ticket.sla_breached.v1"))
    assert seen == sorted((n, m) for n in numbers for m in ("first_response", "resolution"))
