"""Reminders: once per booking from an hour before its start, never for a cancelled or
moved booking, once however many scheduler replicas run (SQLite and PostgreSQL)."""
import datetime as dt

import pytest

from services.video import reminders
from services.video.models import OutboxMessage, Reminder, db
from services.video.rules import Rules
from shared import clock
from shared.outbox import Outbox
from tests.support import as_replicas
from tests.video.conftest import HOURS, MINUTES, events, open_ticket, propose, slot


def run_scheduler() -> int:
    return reminders.send_due_reminders(Outbox(OutboxMessage, producer="video"), db.obj, Rules())


def book(support, alice, tickets_url, start_in: dt.timedelta) -> tuple[dict, dict]:
    wanted = slot(start_in)
    call = propose(support, open_ticket(tickets_url), wanted)
    response = alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": wanted["start"]})
    assert response.status_code == 200, response.json
    return call, wanted


def reminder_calls() -> list[int]:
    return [e["data"]["call_id"] for e in events("video.call_reminder_due.v1")]


def test_reminder_from_one_hour_before_the_start_and_only_once(tickets_url, support, alice):
    call, wanted = book(support, alice, tickets_url, 3 * HOURS)
    start = clock.parse_iso(wanted["start"])
    assert run_scheduler() == 0
    clock.clock.freeze(start - HOURS - dt.timedelta(seconds=1))
    assert run_scheduler() == 0 and reminder_calls() == []
    clock.clock.freeze(start - HOURS)
    assert run_scheduler() == 1
    assert run_scheduler() == 0
    clock.clock.freeze(start - 10 * MINUTES)
    assert run_scheduler() == 0
    [event] = events("video.call_reminder_due.v1")
    assert event["data"]["call_id"] == call["id"] and event["data"]["slot_start"] == wanted["start"]
    assert event["data"]["requester"]["email"] == "alice@example.com"
    assert event["data"]["join_opens_at"] == clock.isoformat(start - 5 * MINUTES)


def test_a_call_booked_less_than_an_hour_ahead_is_reminded_at_once(tickets_url, support, alice):
    call, _ = book(support, alice, tickets_url, 30 * MINUTES)
    assert reminder_calls() == [call["id"]]
    types = [e["type"] for e in events()]
    assert types.index("video.call_booked.v1") < types.index("video.call_reminder_due.v1")
    assert run_scheduler() == 0
    assert reminder_calls() == [call["id"]]


def test_a_cancelled_booking_is_never_reminded(tickets_url, support, alice):
    call, wanted = book(support, alice, tickets_url, 3 * HOURS)
    support.post(f"/api/v1/agent/video-calls/{call['id']}/cancel", json={})
    for before in (HOURS, 30 * MINUTES, MINUTES):
        clock.clock.freeze(clock.parse_iso(wanted["start"]) - before)
        assert run_scheduler() == 0
    assert reminder_calls() == [] and Reminder.select().count() == 0


def test_a_moved_booking_is_reminded_for_its_new_time_only(tickets_url, support, alice):
    call, first = book(support, alice, tickets_url, 3 * HOURS)
    later = slot(6 * HOURS)
    moved = support.post(f"/api/v1/agent/video-calls/{call['id']}/reschedule", json={"booked_slot": later})
    assert moved.status_code == 200
    clock.clock.freeze(clock.parse_iso(first["start"]) - 30 * MINUTES)
    assert run_scheduler() == 0
    clock.clock.freeze(clock.parse_iso(later["start"]) - 30 * MINUTES)
    assert run_scheduler() == 1
    [event] = events("video.call_reminder_due.v1")
    assert event["data"]["slot_start"] == later["start"]


def test_a_rebooked_call_gets_a_reminder_for_the_new_booking(tickets_url, support, alice):
    near, far = slot(20 * MINUTES), slot(4 * HOURS)
    call = propose(support, open_ticket(tickets_url), near, far)
    alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": near["start"]})
    alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": far["start"]})
    clock.clock.freeze(clock.parse_iso(far["start"]) - 45 * MINUTES)
    assert run_scheduler() == 1
    assert [e["data"]["slot_start"] for e in events("video.call_reminder_due.v1")] == [near["start"], far["start"]]


def test_a_slot_that_has_ended_is_not_reminded(tickets_url, support, alice):
    _, wanted = book(support, alice, tickets_url, 3 * HOURS)
    clock.clock.freeze(clock.parse_iso(wanted["end"]))
    assert run_scheduler() == 0


@pytest.mark.timeout(120)
def test_two_scheduler_replicas_send_each_reminder_once(tickets_url, support, alice):
    booked = [book(support, alice, tickets_url, 3 * HOURS + i * MINUTES)[0]["id"] for i in range(12)]
    clock.clock.advance(2 * HOURS + 30 * MINUTES)
    sent = as_replicas(run_scheduler, db.obj)
    assert sum(sent) == len(booked)
    assert sorted(reminder_calls()) == sorted(booked)
    assert Reminder.select().count() == len(booked)
