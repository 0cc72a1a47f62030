"""The requester's context beside a ticket, built from the events the tickets service
consumes (SQLite and PostgreSQL): events in, context out, redelivery and late events harmless."""
import datetime as dt

import pytest

from services.tickets.customers.models import CustomerProfile
from services.tickets.handlers import HANDLERS
from services.tickets.models import ProcessedEvent, db
from shared.bus import MEMORY_URL, connect, event_exchange
from shared.consumer import EventConsumer, QueueTopology
from shared.events import Envelope, EventType
from tests.support import agent
from tests.tickets.conftest import As, new_ticket

ALICE = {"kind": "user", "user_id": 1, "email": "alice@example.com", "locale": "en"}
T0 = dt.datetime(2026, 11, 1, 9, 0)


@pytest.fixture
def consumer(app):
    topology = QueueTopology("tickets.events", event_exchange("test"), HANDLERS.keys())
    return EventConsumer(connect(MEMORY_URL), topology, HANDLERS, db.obj, ProcessedEvent)


def event(event_type, minutes=0, producer="gateway", **data) -> Envelope:
    return Envelope.new(event_type, data, producer, occurred_at=T0 + dt.timedelta(minutes=minutes))


def registered(user_id=1, email="alice@example.com", minutes=0, **extra):
    data = {"user_id": user_id, "email": email, "locale": "es", "region": "ar", "referral_code": None,
            "parent_id": None, "registered_at": "2026-11-01T09:00:00Z", **extra}
    return event(EventType.USER_REGISTERED, minutes, **data)


def call(event_type, call_id, minutes, requester=ALICE, number="12345678", **extra):
    return event(event_type, minutes, "video", call_id=call_id, ticket_number=number, requester=requester,
                 slot_start="2026-11-03T10:00:00Z", slot_end="2026-11-03T10:30:00Z", **extra)


def context_of(who, number):
    response = who.get(f"/api/v1/agent/tickets/{number}/context")
    assert response.status_code == 200, response.json
    return response.json


def test_the_context_gathers_the_requesters_facts_from_events(alice, support, consumer):
    number = new_ticket(alice)["number"]
    other = new_ticket(alice, subject="Fees question", category="trading_fees_limits")["number"]
    alice.post(f"/api/v1/tickets/{other}/messages", json={"body": "thanks"})
    before = context_of(support, number)["requester"]
    assert (before["id"], before["email"], before["locale"]) == (1, "alice@example.com", "en")
    assert before["registered_at"] is None and before["is_sub_account"] is None and before["region"] is None
    assert before["referral"] == {"eligible": None, "reason": "unknown", "invitees": 0, "boxes_earned": 0,
                                  "rewards_credited": 0}

    events = [
        registered(),
        event(EventType.USER_PROFILE_CHANGED, 5, user_id=1, locale="zh-Hant"),
        call(EventType.VIDEO_CALL_PROPOSED, 7, 10, number=number),
        call(EventType.VIDEO_CALL_BOOKED, 7, 11, number=number),
        call(EventType.VIDEO_CALL_COMPLETED, 7, 40, number=number, outcome="no_show"),
        call(EventType.VIDEO_CALL_PROPOSED, 8, 50, number=number),
        event(EventType.REFERRAL_MEMBER_JOINED, 1, "referrals", user_id=1, eligible=True, reason=None,
              inviter_id=None, counts_as_invitee=False),
        event(EventType.REFERRAL_MEMBER_JOINED, 2, "referrals", user_id=5, eligible=True, reason=None,
              inviter_id=1, counts_as_invitee=True),
        event(EventType.REFERRAL_MEMBER_JOINED, 3, "referrals", user_id=6, eligible=False, reason="sub_account",
              inviter_id=1, counts_as_invitee=False),
        event(EventType.REFERRAL_BOX_GRANTED, 60, "referrals", box_id=3, user_id=1, milestone="app_installed",
              role="inviter"),
        event(EventType.REFERRAL_REWARD_CREDITED, 61, "referrals", entry_id=9, user_id=1, asset="BTC",
              amount="0.0001"),
    ]
    for envelope in events:
        assert consumer.handle(envelope) is True
    requester = context_of(support, number)["requester"]
    assert requester == {
        "id": 1, "email": "alice@example.com", "locale": "zh-Hant", "region": "AR", "is_sub_account": False,
        "parent_id": None, "registered_at": "2026-11-01T09:00:00.000Z",
        "tickets": {"open": 2, "total": 2, "recent": [
            {"number": other, "subject": "Fees question", "category": "trading_fees_limits", "status": "open",
             "created_at": requester["tickets"]["recent"][0]["created_at"]}]},
        "video_calls": {"total": 2, "last": requester["video_calls"]["recent"][0],
                        "recent": requester["video_calls"]["recent"]},
        "referral": {"eligible": True, "reason": None, "invitees": 1, "boxes_earned": 1, "rewards_credited": 1},
    }
    assert [(c["id"], c["status"]) for c in requester["video_calls"]["recent"]] == [(8, "proposed"), (7, "no_show")]
    assert requester["video_calls"]["last"]["at"] == "2026-11-01T09:50:00.000Z"

    # The same events again (redelivered, or replayed with new ids) change nothing.
    for envelope in events:
        assert consumer.handle(envelope) is False
    for envelope in events:
        replay = Envelope.new(envelope.type, envelope.data, envelope.producer, occurred_at=envelope.occurred)
        assert consumer.handle(replay) is True
    assert context_of(support, number)["requester"] == requester


def test_late_events_do_not_undo_newer_ones(alice, support, consumer):
    number = new_ticket(alice)["number"]
    for envelope in (event(EventType.USER_PROFILE_CHANGED, 30, user_id=1, locale="en"),
                     call(EventType.VIDEO_CALL_COMPLETED, 4, 40, number=number, outcome="verified"),
                     registered(),  # arrives last, says "es" at 09:00
                     call(EventType.VIDEO_CALL_BOOKED, 4, 20, number=number)):
        assert consumer.handle(envelope) is True
    requester = context_of(support, number)["requester"]
    assert requester["locale"] == "en" and requester["registered_at"] == "2026-11-01T09:00:00.000Z"
    assert requester["video_calls"]["last"]["status"] == "completed"
    assert CustomerProfile.select().count() == 1


def test_a_sub_account_is_not_eligible_even_before_the_program_reports(alice, support, consumer):
    number = new_ticket(alice)["number"]
    assert consumer.handle(registered(parent_id=77)) is True
    requester = context_of(support, number)["requester"]
    assert requester["is_sub_account"] is True and requester["parent_id"] == 77
    assert requester["referral"]["eligible"] is False and requester["referral"]["reason"] == "sub_account"


def test_a_guests_context(client, support, consumer):
    created = As(client, {"kind": "anonymous"}).post("/api/v1/guest/tickets", json={
        "email": "Guest@Example.com", "subject": "Cannot log in", "category": "account_security",
        "description": "I lost access."})
    assert created.status_code == 201, created.json
    number = created.json["number"]
    guest = As(client, {"kind": "guest", "email": "guest@example.com", "name": "guest", "scope": {"ticket": number}})
    assert guest.get(f"/api/v1/agent/tickets/{number}/context").status_code == 403
    guest_requester = {"kind": "guest", "user_id": None, "email": "guest@example.com", "locale": "en"}
    assert consumer.handle(call(EventType.VIDEO_CALL_PROPOSED, 11, 1, requester=guest_requester,
                                number=number)) is True
    found = context_of(support, number)
    assert found["guest"] is True and found["email"] == "guest@example.com"
    assert (found["tickets"]["open"], found["tickets"]["total"], found["tickets"]["recent"]) == (1, 1, [])
    assert found["video_calls"]["total"] == 1 and "requester" not in found


def test_only_agents_who_may_see_the_ticket_get_its_context(client, alice, bob, support):
    number = new_ticket(alice)["number"]
    assert alice.get(f"/api/v1/agent/tickets/{number}/context").status_code == 403
    assert bob.get(f"/api/v1/agent/tickets/{number}/context").status_code == 403
    assert support.get("/api/v1/agent/tickets/00000000/context").status_code == 404
    alice.post(f"/api/v1/tickets/{number}/escalation", json={"reason": "Please look again",
                                                            "department": "compliance"})
    assert support.get(f"/api/v1/agent/tickets/{number}/context").status_code == 404
    insider = As(client, agent(903, department="compliance"))
    assert insider.get(f"/api/v1/agent/tickets/{number}/context").status_code == 200


def test_the_worker_binds_the_context_events():
    assert {EventType.USER_REGISTERED, EventType.USER_PROFILE_CHANGED, EventType.REFERRAL_MEMBER_JOINED,
            EventType.REFERRAL_BOX_GRANTED, EventType.REFERRAL_REWARD_CREDITED,
            EventType.VIDEO_CALL_COMPLETED} <= set(HANDLERS)
