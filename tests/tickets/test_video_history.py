"""The video calls' events become system messages in the ticket's history (SQLite and PostgreSQL)."""
import datetime as dt

import pytest

from services.tickets.core.models import Message, Ticket
from services.tickets.handlers import HANDLERS
from services.tickets.models import OutboxMessage, ProcessedEvent, db
from shared import clock
from shared.bus import MEMORY_URL, connect, event_exchange
from shared.consumer import EventConsumer, QueueTopology
from shared.events import Envelope, EventType
from tests.tickets.conftest import new_ticket


@pytest.fixture
def consumer(app):
    topology = QueueTopology("tickets.events", event_exchange("test"), HANDLERS.keys())
    return EventConsumer(connect(MEMORY_URL), topology, HANDLERS, db.obj, ProcessedEvent)


def video_event(event_type, number, **data) -> Envelope:
    base = {"call_id": 7, "ticket_number": number,
            "requester": {"kind": "user", "user_id": 1, "email": "alice@example.com", "locale": "en"},
            "slot_start": None, "slot_end": None}
    return Envelope.new(event_type, {**base, **data}, "video")


def system_bodies(who, number, kind="event"):
    return [m["body"] for m in who.get(f"/api/v1/agent/tickets/{number}").json["messages"]
            if m["author"]["role"] == "system" and m["kind"] == kind]


def test_each_video_event_adds_one_system_message(alice, support, consumer):
    number = new_ticket(alice)["number"]
    slots = [{"start": "2026-12-01T10:00:00.000Z", "end": "2026-12-01T10:30:00.000Z"},
             {"start": "2026-12-02T09:00:00.000Z", "end": "2026-12-02T09:45:00.000Z"}]
    booked = {"slot_start": "2026-12-01T10:00:00.000Z", "slot_end": "2026-12-01T10:30:00.000Z"}
    outbox_before = OutboxMessage.select().count()
    for envelope in (
        video_event(EventType.VIDEO_CALL_PROPOSED, number, slots=slots),
        video_event(EventType.VIDEO_CALL_BOOKED, number, **booked),
        video_event(EventType.VIDEO_CALL_REMINDER_DUE, number, **booked),
        video_event(EventType.VIDEO_CALL_BOOKED, number, slot_start=slots[1]["start"], slot_end=slots[1]["end"],
                    previous_slot_start=booked["slot_start"], previous_slot_end=booked["slot_end"]),
        video_event(EventType.VIDEO_CALL_RESCHEDULED, number, slots=slots[:1]),
        video_event(EventType.VIDEO_CALL_RESCHEDULED, number, **booked),
        video_event(EventType.VIDEO_CALL_COMPLETED, number, outcome="verified", note="Passport matched", **booked),
    ):
        assert consumer.handle(envelope) is True
    assert system_bodies(support, number) == [
        "Support asked for a video call. Proposed times: 2026-12-01 10:00–10:30 UTC; 2026-12-02 09:00–09:45 UTC. "
        "Please book the one that suits you.",
        "The video call was booked for 2026-12-01 10:00–10:30 UTC.",
        "The video call was moved from 2026-12-01 10:00–10:30 UTC to 2026-12-02 09:00–09:45 UTC.",
        "Support offered new times for the video call: 2026-12-01 10:00–10:30 UTC. Please book one of them.",
        "Support rescheduled the video call to 2026-12-01 10:00–10:30 UTC.",
        "The video call took place and your identity was verified.",
    ]
    assert system_bodies(support, number, "note") == ["Video call outcome note (verified): Passport matched"]
    customer_view = alice.get(f"/api/v1/tickets/{number}").json["messages"]
    assert "Passport matched" not in str(customer_view)
    assert "The video call took place and your identity was verified." in [m["body"] for m in customer_view]
    # The notifications service tells the customer about video events itself: no ticket events here.
    assert OutboxMessage.select().count() == outbox_before


def test_cancellation_no_show_and_redelivery(alice, support, consumer):
    number = new_ticket(alice)["number"]
    cancelled = video_event(EventType.VIDEO_CALL_CANCELLED, number, slot_start="2026-12-01T10:00:00.000Z",
                            slot_end="2026-12-01T10:30:00.000Z", reason="Solved by email")
    assert consumer.handle(cancelled) is True
    assert consumer.handle(cancelled) is False  # delivered twice: one message
    no_show = video_event(EventType.VIDEO_CALL_COMPLETED, number, outcome="no_show")
    consumer.handle(no_show)
    assert system_bodies(support, number) == [
        "Support cancelled the video call planned for 2026-12-01 10:00–10:30 UTC. Reason: Solved by email",
        "The video call did not take place: nobody joined it at the booked time (no-show).",
    ]


def test_history_is_dated_by_the_event_and_bumps_activity(alice, consumer):
    number = new_ticket(alice)["number"]
    clock.clock.advance(dt.timedelta(minutes=10))
    happened = clock.now() - dt.timedelta(minutes=2)
    envelope = Envelope.new(EventType.VIDEO_CALL_PROPOSED, {
        "call_id": 1, "ticket_number": number, "slots": [],
        "requester": {"kind": "user", "user_id": 1, "email": "alice@example.com", "locale": "en"}},
        "video", occurred_at=happened)
    consumer.handle(envelope)
    message = Message.select().where(Message.kind == "event").get()
    assert message.created_at == happened.replace(microsecond=(happened.microsecond // 1000) * 1000)
    assert Ticket.get(Ticket.number == number).updated_at == message.created_at


def test_an_unknown_ticket_is_ignored(consumer, app):
    assert consumer.handle(video_event(EventType.VIDEO_CALL_PROPOSED, "00000000", slots=[])) is True
    assert Message.select().count() == 0
