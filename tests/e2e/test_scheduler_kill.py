"""SIGKILL of the video scheduler (`python -m services.video.worker`: the reminder scheduler and the outbox
relay, any number of replicas) in the middle of a burst of due reminders: each booking's reminder is written
once and published, none lost, none twice, across the replica that dies, the one that goes on and the new ones.

The reminders fall due over a few seconds (each call an hour and a step ahead), so the kills land mid-burst
whatever the machine's load: a pass takes at most 200 calls, so the counts seen at each kill stay far below
the burst. One replica is killed while the other runs on, then the other, then two new ones finish the burst;
the dead replicas' open transactions (a pass's rows locked FOR UPDATE SKIP LOCKED, a relay batch published but
not yet marked sent) are what the kills cut.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import uuid

import pika
import pytest

from services.video.app import init_database
from services.video.models import OutboxMessage, Reminder, VideoCall, db
from shared import clock
from shared.events import EventType
from tests.conftest import close_database
from tests.e2e.harness import ROOT, wait_for, wait_for_count
from tests.e2e.test_worker_kill import delete
from tests.support import AMQP_URL, PG_URL, drop_pg_schema, unique

pytestmark = [pytest.mark.e2e, pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.chaos]

BURST = 1200
DUE_OVER = dt.timedelta(seconds=12)  # the burst's reminders fall due evenly over this long
LEAD = dt.timedelta(minutes=60)  # VIDEO_REMINDER_LEAD_MINUTES' default
REMINDER = str(EventType.VIDEO_CALL_REMINDER_DUE)


def book_calls(count: int) -> set[int]:
    """`count` booked calls whose reminders fall due over DUE_OVER from now (a second from now the first)."""
    first_due = clock.now() + dt.timedelta(seconds=1)
    step = DUE_OVER / count
    rows = [{"ticket_number": f"{70_000_000 + i}", "requester_kind": "user", "requester_user_id": 70_000 + i,
             "requester_email": f"call{i}@example.com", "requester_locale": "en", "status": "booked",
             "booked_start": first_due + LEAD + i * step, "booked_end": first_due + LEAD + i * step
             + dt.timedelta(minutes=30), "booking_version": 1, "room_name": f"kill-{uuid.uuid4().hex}"}
            for i in range(count)]
    with db.connection_context():
        for start in range(0, count, 500):
            VideoCall.insert_many(rows[start:start + 500]).execute()
        return {call.id for call in VideoCall.select(VideoCall.id)}


def reminders() -> int:
    with db.connection_context():
        return Reminder.select().count()


def published() -> int:
    with db.connection_context():
        return OutboxMessage.select().where(OutboxMessage.sent_at.is_null(False)).count()


def watch(queue: str, exchange: str) -> None:
    """A queue of the test's own bound to the reminders, declared before any is published."""
    with pika.BlockingConnection(pika.URLParameters(AMQP_URL.rstrip("/") + "/%2F")) as connection:
        channel = connection.channel()
        channel.exchange_declare(exchange, "topic", durable=True)
        channel.queue_declare(queue, durable=True)
        channel.queue_bind(queue, exchange, routing_key=REMINDER)


def drain(queue: str) -> list[dict]:
    """Every message on the queue, taken off it."""
    bodies = []
    with pika.BlockingConnection(pika.URLParameters(AMQP_URL.rstrip("/") + "/%2F")) as connection:
        channel = connection.channel()
        while (got := channel.basic_get(queue, auto_ack=True))[0] is not None:
            bodies.append(json.loads(got[2]))
    return bodies


@pytest.mark.timeout(600)
def test_the_scheduler_killed_mid_burst_sends_each_reminder_once(tmp_path):
    schema = unique("vkill")
    database_url = f"{PG_URL}?schema={schema}"
    prefix, exchange = f"kill-{uuid.uuid4().hex[:8]}.", f"kill.{uuid.uuid4().hex[:8]}"
    watch_queue = f"{prefix}watch"
    init_database(database_url)  # the deployment's migration job
    env = dict(os.environ, VIDEO_DATABASE_URL=database_url, AMQP_URL=AMQP_URL, QUEUE_PREFIX=prefix,
               EVENT_EXCHANGE=exchange, DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT),
               PYTHONUNBUFFERED="1", VIDEO_REMINDER_INTERVAL_SECONDS="0.1")
    env.pop("DATABASE_URL", None)
    log_path = tmp_path / "scheduler.log"
    log = open(log_path, "ab")
    replicas: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-m", "services.video.worker"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        replicas.append(process)
        return process

    def started(process: subprocess.Popen) -> bool:
        assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
        return f'"pid": {process.pid}' in log_path.read_text(errors="replace")

    def kill_when(process: subprocess.Popen, reminded: int) -> int:
        wait_for_count(reminders, reminded, interval=0.02, message=f"{reminded} reminders")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        return reminders()

    try:
        watch(watch_queue, exchange)
        first, second = start(), start()
        for process in (first, second):
            wait_for(lambda process=process: started(process), timeout=60, message="a scheduler replica started")
        calls = book_calls(BURST)
        at_kills = [kill_when(first, BURST // 4), kill_when(second, BURST // 2)]
        assert all(count < BURST for count in at_kills), f"the burst was over before a kill: {at_kills}"
        for process in (start(), start()):
            wait_for(lambda process=process: started(process), timeout=60, message="a new replica started")

        wait_for_count(lambda: min(reminders(), published()), BURST, progress=lambda: (reminders(), published()),
                       interval=0.25, message="every reminder written and published")
        with db.connection_context():
            assert Reminder.select().count() == BURST and OutboxMessage.select().count() == BURST
            assert {reminder.call_id for reminder in Reminder.select(Reminder.call)} == calls
            written = {row.event_id for row in OutboxMessage.select().where(OutboxMessage.event_type == REMINDER)}
        assert len(written) == BURST
        received: list[dict] = []
        wait_for(lambda: received.extend(drain(watch_queue)) or {e["id"] for e in received} >= written,
                 timeout=30, interval=0.25, message="every reminder on the watching queue")
        # An event is its id: a relay killed between publishing and marking the row sent publishes it again
        # with the same id (at least once; consumers keep the first), never a second reminder for a call.
        assert {e["id"] for e in received} == written
        by_call: dict[int, set[str]] = {}
        for event in received:
            by_call.setdefault(event["data"]["call_id"], set()).add(event["id"])
        assert set(by_call) == calls and all(len(ids) == 1 for ids in by_call.values())
        assert len(received) - BURST <= 2 * 200, "more republished than two relay batches in flight"
    finally:
        for process in replicas:
            if process.poll() is None:
                process.terminate()
                process.wait(30)
        log.close()
        close_database(db)
        delete(watch_queue)
        drop_pg_schema(schema)

