"""The video worker on a real RabbitMQ: its relay publishes the calls' events, its
scheduler the reminders, and the tickets worker turns them into the ticket's history."""
from __future__ import annotations

import json

import pytest
import requests
from kombu import Connection, Queue, binding

from services.tickets import config as tickets_config
from services.tickets import worker as tickets_worker
from services.video import worker as video_worker
from shared import clock
from shared.bus import event_exchange
from tests.e2e.harness import wait_for
from tests.support import AMQP_URL, agent, token, unique
from tests.video.conftest import HOURS, MINUTES, open_ticket, propose, slot

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
def bus():
    """A private exchange, queue prefix and watching queue; all deleted afterwards."""
    names = {"exchange": unique("test.video"), "prefix": unique("test-video") + ".", "watch": unique("test.watch")}
    exchange = event_exchange(names["exchange"])
    with Connection(AMQP_URL) as connection:
        watch = Queue(names["watch"], exchange=exchange, bindings=[binding(exchange, routing_key="video.#")],
                      durable=False, auto_delete=False)
        watch(connection.default_channel).declare()
        names["watch_queue"] = watch
        yield names
        channel = connection.channel()
        queue = f"{names['prefix']}tickets.events"
        for name in (names["watch"], queue, f"{queue}.retry", f"{queue}.dlq"):
            try:
                channel.queue_delete(name)
            except Exception:  # noqa: BLE001 - already gone
                pass
        try:
            channel.exchange_delete(names["exchange"])
        except Exception:  # noqa: BLE001
            pass


def drain(queue: Queue) -> list[dict]:
    """The events waiting in the watching queue now."""
    found = []
    with Connection(AMQP_URL) as connection:
        bound = queue(connection.channel())
        while (message := bound.get(no_ack=True)) is not None:
            found.append(json.loads(message.body))
    return found


@pytest.mark.timeout(90)
def test_history_and_reminders_travel_over_rabbitmq(app, support, alice, tickets_url, bus):
    settings = dict(app.config, AMQP_URL=AMQP_URL, EVENT_EXCHANGE=bus["exchange"], QUEUE_PREFIX=bus["prefix"],
                    VIDEO_REMINDER_INTERVAL_SECONDS=0.1)
    ticket_settings = dict(tickets_config.settings(), AMQP_URL=AMQP_URL, EVENT_EXCHANGE=bus["exchange"],
                           QUEUE_PREFIX=bus["prefix"])
    tickets = tickets_worker.create_worker(ticket_settings).start()
    video = video_worker.create_worker(settings, app.extensions["outbox"]).start()
    try:
        number = open_ticket(tickets_url)
        soon, later = slot(2 * MINUTES), slot(3 * HOURS)
        call = propose(support, number, soon, later)
        alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": later["start"]})
        clock.clock.advance(2 * HOURS + 30 * MINUTES)  # the scheduler's next pass finds the reminder due
        agent_ticket = f"{tickets_url}/api/v1/agent/tickets/{number}"

        def history(kind="event"):
            body = requests.get(agent_ticket, headers=token("tickets", **agent(900)), timeout=10).json()
            return [m["body"] for m in body["messages"] if m["author"]["role"] == "system" and m["kind"] == kind]

        wait_for(lambda: len(history()) == 2, timeout=20, message="proposal and booking in the history")
        reminders = wait_for(lambda: [e for e in drain(bus["watch_queue"]) if e["type"] == "video.call_reminder_due.v1"],
                             timeout=20, message="the reminder on the bus")
        assert [e["data"]["call_id"] for e in reminders] == [call["id"]]
        clock.clock.advance(35 * MINUTES)
        done = support.post(f"/api/v1/agent/video-calls/{call['id']}/outcome",
                            json={"result": "not_verified", "note": "The document was a photocopy"})
        assert done.status_code == 200
        messages = wait_for(lambda: (lambda h: h if len(h) == 3 else None)(history()), timeout=20,
                            message="the outcome in the history")
        assert messages[0].startswith("Support asked for a video call.")
        assert "booked for" in messages[1] and "could not be verified" in messages[2]
        assert history("note") == ["Video call outcome note (not_verified): The document was a photocopy"]
        customer_view = requests.get(f"{tickets_url}/api/v1/tickets/{number}", timeout=10,
                                     headers=token("tickets", kind="user", user_id=1, role="customer",
                                                   email="alice@example.com")).json()
        assert not any("photocopy" in m["body"] for m in customer_view["messages"])
        # No second reminder for the same booking, however many passes the scheduler made.
        assert [e for e in drain(bus["watch_queue"]) if e["type"] == "video.call_reminder_due.v1"] == []
    finally:
        video.stop(10)
        tickets.stop(10)
