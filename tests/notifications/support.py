"""What the notifications tests share: events as producers send them, a real SMTP server
(aiosmtpd) that records what it receives, broker names of the test's own."""
from __future__ import annotations

import email
import email.policy
import functools
import json
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from aiosmtpd.controller import Controller
from kombu import Connection

from services.notifications.models import db
from shared.bus import EventPublisher, connect, event_exchange
from shared.events import Envelope
from tests.e2e.harness import wait_for
from tests.support import AMQP_URL, SECRET, free_port

# aiosmtpd logs every SMTP command at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)

CHANNEL_QUEUES = ("notifications.events", "notifications.email", "notifications.push")



def registered(user_id: int, email_address: str, locale: str = "en") -> Envelope:
    return Envelope.new("user.registered.v1", {
        "user_id": user_id, "email": email_address, "locale": locale, "region": None, "referral_code": None,
        "parent_id": None, "registered_at": "2025-01-01T00:00:00Z"}, "gateway")


def requester(user_id: int | None = None, email_address: str = "alice@example.com", locale: str = "en") -> dict:
    if user_id is None:
        return {"kind": "guest", "user_id": None, "email": email_address, "locale": locale}
    return {"kind": "user", "user_id": user_id, "email": email_address, "locale": locale}


def ticket(number: str, who: dict, status: str = "open", assignee_id: int | None = None) -> dict:
    return {"number": number, "subject": "Deposit missing", "category": "deposit_withdrawal", "status": status,
            "requester": who, "assignee_id": assignee_id, "tier": "standard", "department": None}


def message_added(number: str, who: dict, *, kind: str = "reply", author_role: str = "agent",
                  message_id: int = 1, assignee_id: int | None = None) -> Envelope:
    return Envelope.new("ticket.message_added.v1", {**ticket(number, who, assignee_id=assignee_id),
                                                    "message_id": message_id, "kind": kind,
                                                    "author_role": author_role}, "tickets")


def agent_changed(user_id: int, email_address: str, *, roles: tuple = (), locale: str | None = None,
                  department: str | None = None, active: bool = True) -> Envelope:
    return Envelope.new("agent.profile_changed.v1", {
        "user_id": user_id, "email": email_address, "name": f"Agent {user_id}", "tier": "standard",
        "department": department, "roles": list(roles), "locale": locale, "active": active}, "gateway")


def ticket_event(event_type: str, number: str, who: dict, assignee_id: int | None = None, **data) -> Envelope:
    """Any other ticket event: escalated, assigned, merged, rated, sla_breached, with its own fields."""
    return Envelope.new(event_type, {**ticket(number, who, assignee_id=assignee_id), **data}, "tickets")


def status_changed(number: str, who: dict, new_status: str, old_status: str = "open") -> Envelope:
    return Envelope.new("ticket.status_changed.v1", {**ticket(number, who, new_status), "old_status": old_status,
                                                     "new_status": new_status}, "tickets")


def ticket_created(number: str, who: dict) -> Envelope:
    return Envelope.new("ticket.created.v1", {**ticket(number, who), "channel": "web"}, "tickets")


def code_requested(address: str, code: str, purpose: str = "guest_ticket", number: str | None = "12345678",
                   locale: str = "en") -> Envelope:
    return Envelope.new("guest.verification_requested.v1", {
        "purpose": purpose, "address": address, "code": code, "locale": locale, "ticket_number": number}, "tickets")


def video_booked(call_id: int, number: str, who: dict, slot_start: str = "2025-03-01T14:00:00Z") -> Envelope:
    return Envelope.new("video.call_booked.v1", {"call_id": call_id, "ticket_number": number, "requester": who,
                                                 "slot_start": slot_start, "slot_end": "2025-03-01T14:30:00Z"},
                        "video")


def box_granted(user_id: int, box_id: int = 1) -> Envelope:
    return Envelope.new("referral.box_granted.v1", {"box_id": box_id, "user_id": user_id,
                                                    "milestone": "app_installed"}, "referrals")


@dataclass
class Broker:
    """An exchange and queue prefix of this test's own on the shared RabbitMQ."""

    url: str = AMQP_URL
    exchange: str = field(default_factory=lambda: f"test.events.{uuid.uuid4().hex[:10]}")
    prefix: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:10]}.")

    def settings(self) -> dict:
        return {"AMQP_URL": self.url, "EVENT_EXCHANGE": self.exchange, "QUEUE_PREFIX": self.prefix}

    def env(self) -> dict:
        return {"AMQP_URL": self.url, "EVENT_EXCHANGE": self.exchange, "QUEUE_PREFIX": self.prefix}

    def publish(self, *envelopes: Envelope) -> None:
        with connect(self.url) as connection:
            publisher = EventPublisher(connection, event_exchange(self.exchange))
            for envelope in envelopes:
                assert publisher.publish(envelope), f"nothing bound for {envelope.type}"

    def publish_raw(self, body: str, routing_key: str, content_type: str = "application/json") -> None:
        """A message as any AMQP client may publish it: the body as given."""
        with Connection(self.url) as connection:
            connection.Producer().publish(body, exchange=event_exchange(self.exchange), routing_key=routing_key,
                                          content_type=content_type, content_encoding="utf-8")

    def queue_depth(self, name: str) -> int:
        return self.queue_depth_of(self.prefix + name)

    def queue_depth_of(self, full_name: str) -> int:
        with Connection(self.url) as connection:
            with connection.channel() as channel:
                return channel.queue_declare(full_name, passive=True).message_count

    def consumers(self, name: str) -> int:
        """How many consumers the queue has (a worker logs "worker started" before its threads subscribe)."""
        with Connection(self.url) as connection:
            with connection.channel() as channel:
                return channel.queue_declare(self.prefix + name, passive=True).consumer_count

    def cleanup(self) -> None:
        with Connection(self.url) as connection:
            with connection.channel() as channel:
                for name in CHANNEL_QUEUES:
                    for suffix in ("", ".retry", ".dlq"):
                        channel.queue_delete(self.prefix + name + suffix)
            with connection.channel() as channel:
                channel.exchange_delete(self.exchange)
            with connection.channel() as channel:
                channel.exchange_delete(f"{self.exchange}.notifications.live")


class RecordingHandler:
    """Keeps every accepted message; `refuse` makes the server answer 451 instead."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refused = 0
        self.refuse = False
        self.condition = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            with self.condition:
                self.refused += 1
                self.condition.notify_all()
            return "451 Try again later"
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.condition:
            self.messages.append(message)
            self.condition.notify_all()
        return "250 OK"


class SmtpServer:
    """A real SMTP server on a port of the test's own; `stop()` and `start()` make an outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list:
        with self.handler.condition:
            return list(self.handler.messages)

    def wait_for(self, count: int, timeout: float = 15.0) -> list:
        deadline = time.monotonic() + timeout
        with self.handler.condition:
            while len(self.handler.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} emails, got {len(self.handler.messages)}")
                self.handler.condition.wait(left)
            return list(self.handler.messages)

    def settings(self) -> dict:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port, "SMTP_TLS": ""}


def plain_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


# The suite's one poller, polling faster: the workers here answer in milliseconds.
wait_until = functools.partial(wait_for, interval=0.02)


class SseClient:
    """Reads a `text/event-stream` on a thread; `next()` gives each event or comment as it arrives."""

    def __init__(self, url: str, headers: dict | None = None) -> None:
        self.response = requests.get(url, headers=headers or {}, stream=True, timeout=(5, 60))
        self.status_code = self.response.status_code
        self.items: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        buffer = ""
        try:
            for chunk in self.response.iter_content(chunk_size=None, decode_unicode=True):
                buffer += chunk
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    self.items.put((time.monotonic(), parse_sse_block(block)))
        except Exception:  # noqa: BLE001 - closed by the test
            pass

    def next(self, timeout: float = 5.0, kind: str | None = None) -> dict:
        """The next block (of `kind`: "notification" or "comment" when given)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind or 'event'} within {timeout} s")
            try:
                arrived, block = self.items.get(timeout=left)
            except queue.Empty:
                continue
            if kind is None or block.get("event", "comment" if "comment" in block else None) == kind:
                return {**block, "arrived": arrived}

    def close(self) -> None:
        # Shut the socket first: the reading thread would otherwise hold the close until the next heartbeat.
        reader = getattr(getattr(self.response.raw, "_fp", None), "fp", None)  # http.client's buffered socket
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.response.close()


def parse_sse_block(block: str) -> dict:
    parsed: dict = {}
    for line in block.splitlines():
        if line.startswith(":"):
            parsed["comment"] = line[1:].strip()
            continue
        name, _, value = line.partition(":")
        parsed[name] = value.lstrip(" ")
    if "data" in parsed:
        parsed["data"] = json.loads(parsed["data"])
    return parsed


ROOT = Path(__file__).resolve().parents[2]


def worker_env(database_url: str, broker: Broker, smtp_port: int, data_dir: Path, **extra: str) -> dict:
    """The environment of a worker process of the test's own (`python -m services.notifications.worker`)."""
    from tests.notifications.conftest import GUEST_LINK_SECRET, PUBLIC_URL

    env = {key: value for key, value in os.environ.items() if not key.endswith("DATABASE_URL")}
    env.update({"DATABASE_URL": database_url, **broker.env(), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
                "PUBLIC_URL": PUBLIC_URL, "MAIL_FROM": "no-reply@support.example", "DATA_DIR": str(data_dir),
                "GUEST_LINK_SECRET": GUEST_LINK_SECRET, "INTERNAL_TOKEN_SECRET": SECRET, "PYTHONPATH": str(ROOT),
                "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


class WorkerProcess:
    """`python -m services.notifications.worker` as ops start it, its JSON log in a file."""

    def __init__(self, env: dict, log_path: Path) -> None:
        self.log_path = log_path
        self.log_file = open(log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "services.notifications.worker"], cwd=ROOT, env=env,
                                        stdout=self.log_file, stderr=subprocess.STDOUT)

    def log_lines(self) -> list[dict]:
        lines = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
        return lines

    def wait_started(self, timeout: float = 60.0) -> WorkerProcess:
        wait_until(lambda: self.process.poll() is not None or any(
            line.get("message") == "worker started" and line.get("pid") == self.process.pid
            for line in self.log_lines()), timeout=timeout,
            message="the worker to start")
        assert self.process.poll() is None, self.log_path.read_text()[-3000:]
        return self

    def handled(self, channel: str = "inbox") -> int:
        return sum(line["count"] for line in self.log_lines()
                   if line.get("message") == "events handled" and line.get("channel") == channel
                   and line.get("pid") == self.process.pid)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self, timeout: float = 30.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.log_file.close()


def count(model, *where) -> int:
    """Rows of a notifications table (matching `where`), read on a connection of their own."""
    with db.connection_context():
        query = model.select()
        return (query.where(*where) if where else query).count()
