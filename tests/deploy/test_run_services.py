"""`make run-services` for real: every service its own gunicorn process and every
worker its own process, all forked from one parent (deploy/processes.py),
on this machine's RabbitMQ and PostgreSQL, with a database, an exchange, queues and
ports of its own.

Through the gateway: the ticket flow works; the tickets service killed answers 503
in the contract's shape at once (never a hang) while the rest keeps serving, and
comes back with nothing lost; the tickets worker killed is forked again and relays
what waited; a second notifications worker that joins mid-burst shares the queues,
and the totals stay exact.
"""
from __future__ import annotations

import contextlib
import email
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import psycopg2
import pytest
import requests

from bench.common import stop_process_group
from bench.product import delete_queues
from services.notifications import config as notifications_config
from shared.bus import EventPublisher, connect, event_exchange
from shared.events import Envelope, EventType
from tests.deploy.conftest import ROOT, SERVICES
from tests.e2e.harness import Client, RunningProduct, create_agent, register_and_login, wait_for
from tests.support import AMQP_URL, PG_URL, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.rabbitmq]

UPSTREAM_READ_TIMEOUT = 5.0
PROCESSES = [p for name in SERVICES for p in (name, f"{name}-worker")]


class ServicesRun(RunningProduct):
    """The processes of `make run-services`, read through their merged output: JSON lines, each naming its
    process in its `process` field (deploy/processes.py and what it forks, and deploy/respawn.py)."""

    def records(self, process: str) -> list[dict]:
        found = []
        for line in self.logs().splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict) and record.get("process") == process:
                    found.append(record)
        return found

    def started_pids(self, process: str) -> list[int]:
        return [r["pid"] for r in self.records(process)
                if r.get("logger") == "respawn" and r.get("message") == "process started"]

    def stop(self) -> None:
        stop_process_group(self.process)
        # Anything that outlived make: each forked process leads its own process group.
        for process in (*PROCESSES, "app"):
            for pid in self.started_pids(process):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)


def admin(sql: str) -> None:
    with contextlib.closing(psycopg2.connect(PG_URL)) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run-services")
    database = f"deploy_{uuid.uuid4().hex[:10]}"
    admin(f'CREATE DATABASE "{database}"')
    ports = {name: free_port() for name in SERVICES}
    env = {k: v for k, v in os.environ.items()
           if not k.endswith(("_DATABASE_URL", "_URL", "_PORT")) and k not in ("DATABASE_URL", "MAKEFLAGS")}
    env.update({
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
        "AMQP_URL": AMQP_URL,
        "EVENT_EXCHANGE": f"test.deploy.{uuid.uuid4().hex[:8]}",
        "QUEUE_PREFIX": f"test-deploy-{uuid.uuid4().hex[:8]}.",
        "DATA_DIR": str(tmp / "data"),
        "PUBLIC_URL": f"http://127.0.0.1:{ports['gateway']}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "8",
        "UPSTREAM_READ_TIMEOUT": str(UPSTREAM_READ_TIMEOUT),
        "RESPAWN_DELAY": "5",
        "RUN_SERVICES_ENV_FILE": str(tmp / "no-such.env"),
        "PASSWORD_HASH_MEMORY_KIB": "1024",
        "PASSWORD_HASH_TIME_COST": "1",
        "RATE_LIMIT_REGISTER": "1000/minute",
        "RATE_LIMIT_LOGIN": "1000/minute",
        "RATE_LIMIT_LOGIN_PER_EMAIL": "1000/minute",
        "PYTHONUNBUFFERED": "1",
        "VENV": str(Path(sys.executable).parent.parent),
    })
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    # What the Makefile derives, for the processes this test starts itself (the CLI, a second worker).
    env.update({f"{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}" for name in SERVICES[1:]})
    log_path = tmp / "run-services.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(["make", "--no-print-directory", "-o", f"{env['VENV']}/.installed",
                                    "run-services"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    run = ServicesRun(env["PUBLIC_URL"], tmp / "data", env, process, log_path)
    run.ports = ports
    try:
        def all_ready():
            if process.poll() is not None:
                raise AssertionError("make run-services exited:\n" + run.logs()[-4000:])
            for port in ports.values():
                try:
                    if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code != 200:
                        return False
                except requests.RequestException:
                    return False
            workers = [f"{name}-worker" for name in SERVICES]
            return all(any(r.get("message") == "worker started" for r in run.records(w)) for w in workers)

        wait_for(all_ready, timeout=90, interval=0.3, message="every process of make run-services")
        yield run
    finally:
        run.stop()
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        cleanup_queues(env)


def cleanup_queues(env: dict) -> None:
    delete_queues(env, AMQP_URL)


def test_every_service_and_worker_is_its_own_process(services):
    pids = {process: services.started_pids(process) for process in PROCESSES}
    assert all(len(found) == 1 for found in pids.values()), pids
    assert len({found[0] for found in pids.values()}) == len(PROCESSES)
    [parent] = services.started_pids("app")
    assert {psutil.Process(found[0]).ppid() for found in pids.values()} == {parent}, "not forked by one parent"
    for name, port in services.ports.items():
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok",
                                                                                     "service": name}
        listening = [r for r in services.records(name) if str(r.get("message", "")).startswith("Listening at")]
        assert listening and listening[0]["message"].endswith(f":{port} ({pids[name][0]})")
    # Each service migrated its own schema of the run's database.
    migrated = {name for name in SERVICES
                if any(r.get("message") == "migrations applied" for r in services.records(name))
                or any(r.get("message") == "migrations applied" for r in services.records(f"{name}-worker"))}
    assert migrated == set(SERVICES)


def open_ticket(customer: Client, subject: str) -> str:
    response = customer.post("/api/v1/tickets", json={"subject": subject, "category": "wallet",
                                                      "description": "My withdrawal is stuck."})
    assert response.status_code == 201, response.text
    return response.json()["ticket"]["number"]


def inbox(customer: Client) -> dict:
    response = customer.get("/api/v1/notifications")
    assert response.status_code == 200, response.text
    return response.json()


def test_ticket_flow_through_the_gateway(services):
    alice = register_and_login(services)
    number = open_ticket(alice, "Withdrawal pending")
    agent = create_agent(services)
    queue = agent.get("/api/v1/agent/tickets?status=open").json()["items"]
    assert number in [t["number"] for t in queue]
    asked = agent.post(f"/api/v1/agent/tickets/{number}/messages",
                       json={"body": "Which network did you use?", "kind": "info_request"})
    assert asked.status_code == 201, asked.text
    detail = alice.get(f"/api/v1/tickets/{number}").json()
    assert detail["status"] == "awaiting_user"
    assert "Which network did you use?" in [m["body"] for m in detail["messages"]]
    assert alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "TRC20"}).status_code == 201
    # The event went tickets -> outbox -> tickets worker -> RabbitMQ -> notifications worker.
    items = wait_for(lambda: inbox(alice)["items"], timeout=30, message="the inbox item")
    assert len(items) == 1 and items[0]["link"].endswith(f"/support/tickets/{number}")


def test_tickets_killed_gives_503_at_once_and_comes_back_with_nothing_lost(services):
    alice = register_and_login(services)
    agent = create_agent(services)
    number = open_ticket(alice, "Before the crash")
    for text in ("first", "second"):
        assert alice.post(f"/api/v1/tickets/{number}/messages", json={"body": text}).status_code == 201
    before = alice.get(f"/api/v1/tickets/{number}").json()
    master = services.started_pids("tickets")[-1]

    # The reply's event is in the outbox when the tickets service dies; its worker still relays it.
    assert agent.post(f"/api/v1/agent/tickets/{number}/messages",
                      json={"body": "We are on it", "kind": "reply"}).status_code == 201
    os.killpg(master, signal.SIGKILL)  # the master and its workers: a crash, not a shutdown

    answers = []
    for method, path, body in (("GET", "/api/v1/tickets", None), ("GET", f"/api/v1/tickets/{number}", None),
                               ("POST", f"/api/v1/tickets/{number}/messages", {"body": "lost in the outage?"})):
        started = time.monotonic()
        response = alice.request(method, path, json=body, timeout=UPSTREAM_READ_TIMEOUT + 10)
        answers.append((response, time.monotonic() - started))
    for response, elapsed in answers:
        assert response.status_code == 503, response.text
        assert set(response.json()) == {"error"}
        assert set(response.json()["error"]) == {"code", "message", "details"}
        assert response.json()["error"]["code"] == "service_unavailable"
        assert elapsed < UPSTREAM_READ_TIMEOUT, f"the gateway took {elapsed:.1f}s"

    # The rest keeps serving: the gateway itself, and notifications.
    assert alice.get("/api/v1/me").status_code == 200
    assert alice.get("/api/v1/notifications").status_code == 200
    assert len(services.started_pids("tickets")) == 1, "restarted before the checks"

    # Its parent forks it again; what was stored is all there, and the refused write is not.
    wait_for(lambda: alice.get("/api/v1/tickets").status_code == 200, timeout=60, interval=0.3,
             message="the tickets service back")
    assert len(services.started_pids("tickets")) == 2
    after = alice.get(f"/api/v1/tickets/{number}").json()
    bodies = [m["body"] for m in after["messages"]]
    assert bodies == [m["body"] for m in before["messages"]] + ["We are on it"]
    assert "lost in the outage?" not in bodies
    assert alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "after"}).status_code == 201
    assert [t["number"] for t in alice.get("/api/v1/tickets").json()["items"]] == [number]
    # The reply's event, written just before the crash, reached the customer once.
    items = wait_for(lambda: inbox(alice)["items"], timeout=30, message="the reply's notification")
    assert len(items) == 1 and items[0]["link"].endswith(f"/support/tickets/{number}")


def test_a_killed_worker_is_forked_again_and_relays_what_waited(services):
    carol = register_and_login(services)
    agent = create_agent(services)
    number = open_ticket(carol, "While the worker is down")
    killed = services.started_pids("tickets-worker")[-1]
    parent = psutil.Process(killed).ppid()
    assert parent in services.started_pids("app"), "not forked by deploy/processes.py"
    os.kill(killed, signal.SIGKILL)
    wait_for(lambda: not psutil.pid_exists(killed) or psutil.Process(killed).status() == psutil.STATUS_ZOMBIE,
             timeout=10, message="the worker gone")

    # Its event waits in the tickets outbox until the worker is back.
    assert agent.post(f"/api/v1/agent/tickets/{number}/messages",
                      json={"body": "Relayed later", "kind": "reply"}).status_code == 201
    wait_for(lambda: len(services.started_pids("tickets-worker")) == 2, timeout=60, interval=0.3,
             message="the tickets worker forked again")
    again = services.started_pids("tickets-worker")[-1]
    assert again != killed and psutil.Process(again).ppid() == parent
    items = wait_for(lambda: inbox(carol)["items"], timeout=30, message="the reply's notification")
    assert len(items) == 1 and items[0]["link"].endswith(f"/support/tickets/{number}")
    # The other workers were left alone.
    assert all(len(services.started_pids(f"{name}-worker")) == 1 for name in SERVICES if name != "tickets")


def handled(records: list[dict], ids: set[str], channel: str) -> list[tuple[str, int]]:
    return [(event_id, r["pid"]) for r in records
            if r.get("message") == "events handled" and r.get("channel") == channel
            for event_id in r["event_ids"] if event_id in ids]


def worker_records(path: Path) -> list[dict]:
    records = []
    for line in path.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            records.append(json.loads(line))
    return records


def test_second_notifications_worker_joins_mid_burst_and_totals_stay_exact(services, tmp_path):
    bob = register_and_login(services)
    user_id = bob.user["id"]
    exchange = event_exchange(services.env["EVENT_EXCHANGE"])
    published: list[str] = []

    def reply_event(index: int) -> Envelope:
        return Envelope.new(EventType.TICKET_MESSAGE_ADDED, {
            "number": "T-BURST", "subject": "Burst", "category": "wallet", "status": "awaiting_user",
            "requester": {"kind": "user", "user_id": user_id, "email": bob.email, "locale": "en"},
            "message_id": 100000 + index, "kind": "reply", "author_role": "agent"}, producer="tickets")

    def publish(count: int) -> None:
        for _ in range(count):
            envelope = reply_event(len(published))
            assert publisher.publish(envelope)
            published.append(envelope.id)

    second_log = tmp_path / "second-worker.log"
    with connect(AMQP_URL) as connection:
        publisher = EventPublisher(connection, exchange)
        publish(100)
        with open(second_log, "w") as log:
            second = subprocess.Popen([sys.executable, "-m", "services.notifications.worker"], cwd=ROOT,
                                      env=services.env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        try:
            queues = {services.env["QUEUE_PREFIX"] + name
                      for name in (notifications_config.INBOX_QUEUE, notifications_config.EMAIL_QUEUE)}
            wait_for(lambda: queues <= {r.get("queue") for r in worker_records(second_log)
                                        if r.get("message") == "consuming" and r.get("pid") == second.pid},
                     timeout=30, message="the second worker consuming")
            publish(100)
            ids = set(published)
            total = len(ids)
            wait_for(lambda: inbox(bob)["unread_count"] >= total, timeout=60, interval=0.3,
                     message=f"{total} inbox items")

            def deliveries(channel):
                return (handled(services.records("notifications-worker"), ids, channel)
                        + handled(worker_records(second_log), ids, channel))

            wait_for(lambda: len(deliveries("email")) >= total, timeout=60, interval=0.3, message="the emails")
            assert_queues_drained(connection, services.env["QUEUE_PREFIX"])
        finally:
            second.send_signal(signal.SIGTERM)
            stopped = second.wait(30)
    assert stopped == 0, second_log.read_text()[-2000:]

    first_pid = services.started_pids("notifications-worker")[-1]
    for channel in ("inbox", "email"):
        done = deliveries(channel)
        assert sorted(event_id for event_id, _ in done) == sorted(ids), f"{channel}: lost or doubled events"
        by_pid = {pid for _, pid in done}
        assert by_pid == {first_pid, second.pid}, f"{channel}: handled by {by_pid}"
    assert inbox(bob)["unread_count"] == total
    mails = [email.message_from_bytes(p.read_bytes()) for p in (services.data_dir / "mail").glob("*.eml")]
    to_bob = [m for m in mails if bob.email in m["To"]]
    assert len(to_bob) == total and len({m["Message-ID"] for m in to_bob}) == total


def assert_queues_drained(connection, prefix: str) -> None:
    """Nothing waits or is parked in the notifications queues."""
    channel = connection.channel()
    try:
        def drained():
            counts = []
            for name in (notifications_config.INBOX_QUEUE, notifications_config.EMAIL_QUEUE):
                for suffix in ("", ".retry", ".dlq"):
                    _, ready, _ = channel.queue_declare(prefix + name + suffix, passive=True)
                    counts.append(ready)
            return not any(counts)
        wait_for(drained, timeout=30, interval=0.3, message="the queues drained")
    finally:
        channel.close()
