"""Notification workers on one RabbitMQ, in one run:

1. the raw consume-and-ack rate of a pika consumer (the broker's ceiling for one consumer);
2. one notification worker process draining a backlog of activities into inbox items,
   with each email going over SMTP to a local sink (and Web Push checked for each);
3. the same with two worker processes (competing consumers);
4. the end-to-end latency, p50/p99, from an agent's reply (its HTTP request through the
   gateway) to the inbox item arriving on the customer's live stream, at 100 replies/s:
   deployed (each service under gunicorn, each worker its own process, PostgreSQL, as
   `make run-services` starts it), then as `make run` starts it on a broker (SQLite, a process per
   service; `EMBEDDED_PROCESSES=one` in the environment measures one process), both on RabbitMQ;
   and, for reference, from the event on the bus to the stream.

    .venv/bin/python bench/notifications_throughput.py [--events 20000] [--repeat 3] [--database-url ...]

Each throughput figure is the median of `--repeat` rounds (raw pika, one worker, two workers,
back to back), printed with every round's: on a small shared machine one run can be a quarter off,
so the ratios are taken within a round.

Targets (issue 3): one worker >= 30% of the raw pika rate; two workers faster than one;
p99 < 200 ms at 100 activities/s. Issue 20 (a worker per channel, scaled by deployment): one process
serving the inbox >= 35% of raw pika, two such processes >= 1.4x one (`--channels inbox`).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pika  # noqa: E402
import psycopg2  # noqa: E402

from bench.common import ROOT, free_port  # noqa: E402
from shared.events import Envelope  # noqa: E402

AMQP_URL = os.environ.get("AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672//"
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def pika_connection() -> pika.BlockingConnection:
    return pika.BlockingConnection(pika.URLParameters(AMQP_URL.rstrip("/") + "/%2F"))


def reply_event(index: int, users: int) -> Envelope:
    user_id = 100_000 + index % users
    return Envelope.new("ticket.message_added.v1", {
        "number": str(60_000_000 + index), "subject": "Deposit missing", "category": "deposit_withdrawal",
        "status": "open", "message_id": index, "kind": "reply", "author_role": "agent",
        "requester": {"kind": "user", "user_id": user_id, "email": f"u{user_id}@example.com", "locale": "en"}},
        "tickets")


def raw_pika_rate(messages: int, prefetch: int) -> float:
    """Consume-and-ack of `messages` already queued, one ack per message, like the worker."""
    queue = f"bench-raw-{uuid.uuid4().hex[:8]}"
    connection = pika_connection()
    channel = connection.channel()
    channel.queue_declare(queue, durable=True)
    body = reply_event(0, 1).to_json().encode()
    properties = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    for _ in range(messages):
        channel.basic_publish("", queue, body, properties)
    channel.basic_qos(prefetch_count=prefetch)
    started, count = time.perf_counter(), 0
    for method, _properties, _body in channel.consume(queue, inactivity_timeout=5):
        if method is None:
            break
        channel.basic_ack(method.delivery_tag)
        count += 1
        if count == messages:
            break
    rate = count / (time.perf_counter() - started)
    channel.cancel()
    channel.queue_delete(queue)
    connection.close()
    return rate


class Database:
    """A fresh PostgreSQL schema (or SQLite file) for one measurement, read with plain SQL."""

    def __init__(self, url: str | None, folder: Path) -> None:
        if url and url.startswith("sqlite"):
            self.url, self.schema = url, None
        else:
            self.schema = f"bench_{uuid.uuid4().hex[:8]}"
            self.url = f"{url or PG_URL}?schema={self.schema}"
        self.folder = folder
        self._connection = None

    def count(self, sql: str) -> int:
        if self.schema is None:
            import sqlite3

            with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30) as conn:
                return conn.execute(sql).fetchone()[0]
        if self._connection is None:
            # One connection for all the polling: a new one each time costs PostgreSQL a process start.
            self._connection = psycopg2.connect(self.url.split("?")[0], options=f"-c search_path={self.schema}")
            self._connection.autocommit = True
        with self._connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    def inbox_items(self, expected: int) -> int:
        """How many inbox items there are, as cheaply as it can be known: on PostgreSQL the id sequence (a row
        read) until it says `expected` were made, then the count (a scan of the table, several ms once it holds
        tens of thousands, taken every 50 ms it would take a share of the CPU the workers are measured on)."""
        if self.schema is not None:
            made = self.count("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM notification_id_seq")
            if made < expected:
                return made
        return self.count("SELECT COUNT(*) FROM notification")

    def drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self.schema is not None:
            conn = psycopg2.connect(PG_URL)
            conn.autocommit = True
            conn.cursor().execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            conn.close()


def worker_env(database: Database, exchange: str, prefix: str, smtp_port: int, data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update(DATABASE_URL=database.url, AMQP_URL=AMQP_URL, EVENT_EXCHANGE=exchange, QUEUE_PREFIX=prefix,
               SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port), DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT),
               PUBLIC_URL="https://support.example", PYTHONUNBUFFERED="1")
    return env


def start_workers(count: int, env: dict, folder: Path) -> list[subprocess.Popen]:
    processes = []
    for index in range(count):
        log = open(folder / f"worker-{index}.log", "w")
        processes.append(subprocess.Popen([sys.executable, "-m", "services.notifications.worker"], cwd=ROOT,
                                          env=env, stdout=log, stderr=subprocess.STDOUT))
    return processes


def wait_started(folder: Path, processes: list[subprocess.Popen], timeout: float = 60.0) -> None:
    """Until each worker process (not one of its channel processes) logs "worker started"."""
    def started(index: int, process: subprocess.Popen) -> bool:
        for line in (folder / f"worker-{index}.log").read_text().splitlines():
            if '"worker started"' in line and json.loads(line).get("pid") == process.pid:
                return True
        return False

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(started(index, process) for index, process in enumerate(processes)):
            return
        time.sleep(0.1)
    raise RuntimeError("the workers did not start")


def worker_rate(workers: int, events: int, users: int, database_url: str | None, smtp_port: int,
                channels: str = "inbox,email,push") -> dict:
    """Start `workers` processes, then queue a backlog of `events` replies, and time the drain."""
    folder = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    database = Database(database_url, folder)
    exchange, prefix = f"bench.events.{uuid.uuid4().hex[:8]}", f"bench-{uuid.uuid4().hex[:8]}."
    env = worker_env(database, exchange, prefix, smtp_port, folder)
    env["NOTIFICATIONS_CHANNELS"] = channels
    with_email = "email" in channels
    processes = start_workers(workers, env, folder)
    try:
        wait_started(folder, processes)
        # Hold the consumers (SIGSTOP) while the backlog is queued, so all of it waits for them.
        for process in processes:
            process.send_signal(19)
        connection = pika_connection()
        channel = connection.channel()
        properties = pika.BasicProperties(delivery_mode=2, content_type="application/json",
                                          content_encoding="utf-8")
        for index in range(events):
            envelope = reply_event(index, users)
            properties.message_id, properties.type = envelope.id, envelope.type
            channel.basic_publish(exchange, envelope.type, envelope.to_json().encode(), properties)
        connection.close()
        for process in processes:
            process.send_signal(18)
        email_sql = "SELECT COUNT(*) FROM delivery WHERE channel = 'email'"
        first = inbox_done = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and inbox_done is None:
            now = time.monotonic()
            inbox = database.inbox_items(events)
            if first is None and inbox > 0:
                first = now
            if inbox >= events:
                inbox_done = now
            time.sleep(0.05)
        if first is None or inbox_done is None:
            raise RuntimeError("the workers did not finish the backlog in time")
        result = {"workers": workers, "events": events, "inbox_per_s": events / max(inbox_done - first, 1e-6)}
        if with_email:
            # Emails go on after the inbox is done; their rate over up to 15 s more.
            stop = min(deadline, inbox_done + 15)
            while (emails := database.count(email_sql)) < events and time.monotonic() < stop:
                time.sleep(0.05)
            result.update(email_per_s=emails / (time.monotonic() - first), emails=emails)
        return result
    finally:
        for process in processes:
            process.send_signal(18)
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        database.drop()
        delete_queues(exchange, prefix)


def delete_queues(exchange: str, prefix: str) -> None:
    """Every service's queues (with their retry and dead-letter ones) and the exchanges of a run."""
    from bench.product import delete_queues as delete_product_queues

    delete_product_queues({"EVENT_EXCHANGE": exchange, "QUEUE_PREFIX": prefix}, AMQP_URL)


def smtp_sink(port: int, folder: Path) -> subprocess.Popen:
    """An SMTP server that accepts and discards (aiosmtpd's Sink), in a process of its own."""
    process = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c",
                                "aiosmtpd.handlers.Sink"], cwd=ROOT, stdout=open(folder / "smtp.log", "w"),
                               stderr=subprocess.STDOUT)
    import socket

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the SMTP sink did not start")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def read_stream(response, arrivals: dict, ready: threading.Event) -> None:
    """Record when each notification arrives on an open stream, by its ticket number."""
    buffer = ""
    try:
        for chunk in response.iter_content(chunk_size=None, decode_unicode=True):
            now = time.perf_counter()
            buffer += chunk
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                if ": connected" in block:
                    ready.set()
                for line in block.splitlines():
                    if line.startswith("data: "):
                        number = json.loads(line[6:])["link"].rsplit("/", 1)[1]
                        arrivals.setdefault(number, []).append(now)
    except Exception:  # noqa: BLE001 - the stream was closed
        pass


def bus_to_stream_latency(events: int, rate: float, smtp_port: int) -> dict:
    """`ticket.message_added.v1` published at `rate` per second (one connection, confirms, as the tickets
    service's relay does) -> a worker process -> the inbox item on the user's stream of a web process."""
    import requests
    from werkzeug.serving import make_server

    from services.notifications.app import create_app
    from services.registry import GATEWAY
    from shared.bus import EventPublisher, connect, event_exchange
    from shared.internal_auth import Caller, sign_internal_token

    folder = Path(tempfile.mkdtemp(prefix="bench-bus-latency-"))
    database = Database(f"sqlite:///{folder}/notifications.db", folder)
    exchange, prefix = f"bench.events.{uuid.uuid4().hex[:8]}", f"bench-{uuid.uuid4().hex[:8]}."
    env = worker_env(database, exchange, prefix, smtp_port, folder)
    secret = "bench-internal-secret-" + "x" * 20
    env["INTERNAL_TOKEN_SECRET"] = secret
    app = create_app({"DATABASE_URL": database.url, "AMQP_URL": AMQP_URL, "EVENT_EXCHANGE": exchange,
                      "QUEUE_PREFIX": prefix, "INTERNAL_TOKEN_SECRET": secret, "PUBLIC_URL": "https://support.example"})
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    processes = start_workers(1, env, folder)
    try:
        wait_started(folder, processes)
        token = sign_internal_token(Caller(kind="user", user_id=7, role="customer"), "notifications", secret,
                                    GATEWAY.name)
        stream = requests.get(f"http://127.0.0.1:{server.server_port}/api/v1/notifications/stream", stream=True,
                              headers={"Authorization": f"Bearer {token}"}, timeout=(5, 120))
        arrivals: dict[str, list[float]] = {}
        ready = threading.Event()
        threading.Thread(target=read_stream, args=(stream, arrivals, ready), daemon=True).start()
        if not ready.wait(10):
            raise RuntimeError("the stream did not open")
        sent: dict[str, float] = {}
        with connect(AMQP_URL) as connection:
            publisher = EventPublisher(connection, event_exchange(exchange))
            start = time.perf_counter() + 0.2
            for index in range(events):
                delay = start + index / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                envelope = reply_event(index, 1)
                envelope.data["requester"]["user_id"] = 7
                sent[envelope.data["number"]] = time.perf_counter()
                publisher.publish(envelope)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(arrivals) < events:
            time.sleep(0.05)
        latencies = [(arrivals[number][0] - began) * 1000 for number, began in sent.items() if number in arrivals]
        return {"events": events, "arrived": len(latencies), "p50_ms": statistics.median(latencies),
                "p99_ms": percentile(latencies, 0.99), "max_ms": max(latencies)}
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)
        server.shutdown()
        delete_queues(exchange, prefix)


SERVICES = ("gateway", "tickets", "notifications", "referrals", "video")


class Processes:
    """The product as deployed: each service under gunicorn and each worker as a process of its own,
    on RabbitMQ and PostgreSQL (a fresh schema per service), as `make run-services` starts it. Shaped
    like the e2e harness's RunningProduct, so its helpers (register, log in, create an agent) work on it."""

    def __init__(self, folder: Path, smtp_port: int) -> None:
        from bench.common import base_env, gunicorn, wait_ready

        self.data_dir = folder
        self.mfa_keys: dict = {}  # the harness's login and create_agent keep an agent's 2FA here
        self.mfa_sessions: dict = {}
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        ports = {name: free_port() for name in ("tickets", "notifications")}
        env = base_env(folder)
        self.schemas = [f"bench_{uuid.uuid4().hex[:8]}_{name}" for name in SERVICES]
        env.update({f"{name.upper()}_DATABASE_URL": f"{PG_URL}?schema={schema}"
                    for name, schema in zip(SERVICES, self.schemas, strict=True)})
        env.update(AMQP_URL=AMQP_URL, EVENT_EXCHANGE=f"bench.events.{uuid.uuid4().hex[:8]}",
                   QUEUE_PREFIX=f"bench-{uuid.uuid4().hex[:8]}.", SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port),
                   PORT=str(port), PUBLIC_URL=self.base_url, RUN_MIGRATIONS="false",
                   RATE_LIMIT_LOGIN="10000/minute", RATE_LIMIT_REGISTER="10000/minute",
                   RATE_LIMIT_LOGIN_PER_EMAIL="10000/minute",
                   **{f"{name.upper()}_URL": f"http://127.0.0.1:{p}" for name, p in ports.items()})
        self.env = env
        for step in (["deploy/local_secrets.py"], ["-m", "services.migrate", "all"]):
            subprocess.run([sys.executable, *step], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
        self.processes = []
        try:
            self.processes += [
                gunicorn("services.tickets.app:create_app()", ports["tickets"], env, 2, 8, folder / "tickets.log"),
                gunicorn("services.notifications.app:create_app()", ports["notifications"], env, 1, 32,
                         folder / "notifications.log"),
            ]
            for name in ("tickets", "gateway", "notifications"):
                self.processes.append(subprocess.Popen([sys.executable, "-m", f"services.{name}.worker"], cwd=ROOT,
                                                       env=env, stdout=open(folder / f"{name}-worker.log", "w"),
                                                       stderr=subprocess.STDOUT))
            wait_ready(ports["tickets"])
            wait_ready(ports["notifications"])
            self.processes.append(gunicorn("services.gateway.app:create_app()", port, env, 2, 16,
                                           folder / "gateway.log"))
            wait_ready(port)
        except BaseException:
            # A service not ready in time (a loaded machine): the processes started must not outlive the run.
            self.stop()
            raise

    def url(self, path: str) -> str:
        return self.base_url + path

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        delete_queues(self.env["EVENT_EXCHANGE"], self.env["QUEUE_PREFIX"])
        connection = psycopg2.connect(PG_URL)
        connection.autocommit = True
        for schema in self.schemas:
            connection.cursor().execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.close()


def tap_events(exchange: str, on_bus: dict, ready: threading.Event, stop: threading.Event) -> None:
    """Note when each `ticket.message_added.v1` reaches the exchange (a queue of the benchmark's own)."""
    connection = pika_connection()
    channel = connection.channel()
    queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
    channel.queue_bind(queue, exchange, routing_key="ticket.message_added.v1")
    ready.set()
    for method, _properties, body in channel.consume(queue, auto_ack=True, inactivity_timeout=0.2):
        if stop.is_set():
            break
        if method is None:
            continue
        number = json.loads(body)["data"]["number"]
        if number in on_bus:
            on_bus[number].append(time.perf_counter())
    connection.close()


def end_to_end_latency(replies: int, rate: float, tickets: int, smtp_port: int, deployed: bool) -> dict:
    """Agent replies through the gateway at `rate` per second; the customer's stream times each inbox item."""
    from tests.e2e.harness import create_agent, register_and_login, start_product

    folder = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    if deployed:
        product = Processes(folder, smtp_port)
    else:
        product = start_product(folder, {"AMQP_URL": AMQP_URL, "SMTP_HOST": "127.0.0.1",
                                         "SMTP_PORT": str(smtp_port), "LOG_LEVEL": "WARNING"})
    try:
        customer = register_and_login(product, locale="en")
        agent = create_agent(product)
        numbers = [customer.post("/api/v1/tickets", json={
            "subject": f"Benchmark ticket {i}", "category": "other",
            "description": "Latency from an agent's reply to the inbox item."}).json()["ticket"]["number"]
            for i in range(tickets)]
        arrivals: dict[str, list[float]] = {number: [] for number in numbers}
        stream = customer.session.get(product.url("/api/v1/notifications/stream"), stream=True, timeout=(5, 120),
                                      headers={"Authorization": f"Bearer {customer.token}"})
        ready = threading.Event()
        threading.Thread(target=read_stream, args=(stream, arrivals, ready), daemon=True).start()
        if not ready.wait(10):
            raise RuntimeError("the stream did not open")
        # A queue of the benchmark's own on the product's exchange: when each reply's event reaches the bus.
        on_bus: dict[str, list[float]] = {number: [] for number in numbers}
        tap_stop = threading.Event()
        tap_ready = threading.Event()
        threading.Thread(target=tap_events, args=(product.env["EVENT_EXCHANGE"], on_bus, tap_ready, tap_stop),
                         daemon=True).start()
        if not tap_ready.wait(10):
            raise RuntimeError("the event tap did not start")
        sent: dict[str, list[float]] = {number: [] for number in numbers}
        stored: dict[str, list[float]] = {number: [] for number in numbers}
        request_ms: list[float] = []
        lock = threading.Lock()
        start = time.perf_counter() + 0.5
        senders = 4

        def send(offset: int) -> None:
            for index in range(offset, replies, senders):
                delay = start + index / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                number = numbers[index % tickets]
                began = time.perf_counter()
                with lock:
                    sent[number].append(began)
                response = agent.post(f"/api/v1/agent/tickets/{number}/messages",
                                      json={"body": f"Reply {index}", "kind": "reply"})
                if response.status_code != 201:
                    raise RuntimeError(response.text)
                with lock:
                    stored[number].append(time.perf_counter())
                    request_ms.append((time.perf_counter() - began) * 1000)

        threads = [threading.Thread(target=send, args=(offset,)) for offset in range(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sum(map(len, arrivals.values())) < replies:
            time.sleep(0.05)
        tap_stop.set()
        try:
            stream.close()
        except AttributeError:  # urllib3 closing a stream read on another thread
            pass
        latencies, after_stored, to_bus, bus_to_stream = [], [], [], []
        for number in numbers:
            for when_sent, when_stored, when_bused, when_arrived in zip(
                    sorted(sent[number]), sorted(stored[number]), sorted(on_bus[number]), sorted(arrivals[number]),
                    strict=False):
                latencies.append((when_arrived - when_sent) * 1000)
                after_stored.append((when_arrived - when_stored) * 1000)
                to_bus.append((when_bused - when_stored) * 1000)
                bus_to_stream.append((when_arrived - when_bused) * 1000)
        return {"replies": replies, "rate": rate, "arrived": len(latencies),
                "p50_ms": statistics.median(latencies), "p99_ms": percentile(latencies, 0.99),
                "max_ms": max(latencies), "reply_request_p50_ms": statistics.median(request_ms),
                "stored_p50_ms": statistics.median(after_stored), "stored_p99_ms": percentile(after_stored, 0.99),
                "to_bus_p50_ms": statistics.median(to_bus), "to_bus_p99_ms": percentile(to_bus, 0.99),
                "bus_p50_ms": statistics.median(bus_to_stream), "bus_p99_ms": percentile(bus_to_stream, 0.99)}
    finally:
        product.stop()
        if not deployed:  # the harness leaves them to its test session's end; a shared broker keeps no bench queues
            delete_queues(product.env["EVENT_EXCHANGE"], product.env["QUEUE_PREFIX"])


def figures(values: list[float], fmt: str = "{:,.0f}") -> str:
    return ", ".join(fmt.format(value) for value in values)


def throughput(args, smtp_port: int) -> None:
    """This machine (2 shared cores) runs a quarter to a half faster or slower from one minute to the next:
    each round measures raw pika, then one worker, then two, back to back, and the ratios are taken within a
    round; every figure is the median of `--repeat` rounds, printed with each round's."""
    shapes = (("inbox,email,push", "inbox + email to the sink + push, one process"),
              ("inbox", "inbox only (the inbox worker's Deployment)"))
    for channels, title in [shape for shape in shapes if args.channels in (None, shape[0])]:
        raws, ones, twos = [], [], []
        for _ in range(args.repeat):
            raws.append(raw_pika_rate(args.raw_messages, args.prefetch))
            ones.append(worker_rate(1, args.events, args.users, args.database_url, smtp_port, channels=channels))
            twos.append(worker_rate(2, args.events, args.users, args.database_url, smtp_port, channels=channels))
        one_rates, two_rates = [run["inbox_per_s"] for run in ones], [run["inbox_per_s"] for run in twos]
        of_raw = [one / raw for one, raw in zip(one_rates, raws, strict=True)]
        speedup = [two / one for one, two in zip(one_rates, two_rates, strict=True)]
        print(f"{title} (NOTIFICATIONS_CHANNELS={channels}), {args.repeat} rounds, medians:\n"
              f"  raw pika consume+ack (prefetch {args.prefetch}): {statistics.median(raws):,.0f} msg/s ({figures(raws)})\n"
              f"  1 worker:  {statistics.median(one_rates):,.0f} events/s to inbox items ({figures(one_rates)}); "
              f"{statistics.median(of_raw):.0%} of raw pika within a round ({figures(of_raw, '{:.0%}')})\n"
              f"  2 workers: {statistics.median(two_rates):,.0f} events/s ({figures(two_rates)}); "
              f"{statistics.median(speedup):.2f}x one worker within a round ({figures(speedup, '{:.2f}x')})", flush=True)
        if "email" in channels:
            print(f"  emails to the sink meanwhile: {statistics.median([run['email_per_s'] for run in ones]):,.0f}/s with one "
                  f"worker, {statistics.median([run['email_per_s'] for run in twos]):,.0f}/s with two", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000,
                        help="activities in each worker backlog (one worker drains 5,000 in under a second: too short a time)")
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--raw-messages", type=int, default=20000)
    parser.add_argument("--prefetch", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each throughput measurement (the median)")
    parser.add_argument("--database-url", default=None, help="default: a fresh schema on PostgreSQL")
    parser.add_argument("--replies", type=int, default=1000, help="agent replies for the latency run")
    parser.add_argument("--rate", type=float, default=100.0, help="replies per second for the latency run")
    parser.add_argument("--channels", choices=["inbox,email,push", "inbox"], default=None,
                        help="throughput: only this shape of worker (default: both)")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--only-deployed", action="store_true", help="latency: skip the bus and make-run runs")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-smtp-"))
    smtp_port = free_port()
    sink = smtp_sink(smtp_port, folder)
    try:
        if not args.skip_throughput:
            throughput(args, smtp_port)
        if not args.skip_latency and not args.only_deployed:
            bus = bus_to_stream_latency(args.replies, args.rate, smtp_port)
            print(f"event on the bus -> inbox item on the live stream (1 worker process, web process apart) at "
                  f"{args.rate:.0f} events/s: p50 {bus['p50_ms']:.0f} ms, p99 {bus['p99_ms']:.0f} ms, "
                  f"max {bus['max_ms']:.0f} ms ({bus['arrived']}/{bus['events']} arrived)", flush=True)
        shapes = [(True, "deployed: each service and worker its own process, PostgreSQL"),
                  (False, "make run: SQLite, " + ("one process" if os.environ.get("EMBEDDED_PROCESSES") == "one"
                                                  else "a process per service"))]
        for deployed, shape in ([] if args.skip_latency else shapes[:1] if args.only_deployed else shapes):
            latency = end_to_end_latency(args.replies, args.rate, 20, smtp_port, deployed)
            print(f"agent reply -> inbox item on the live stream ({shape}) at {latency['rate']:.0f} replies/s: "
                  f"p50 {latency['p50_ms']:.0f} ms, p99 {latency['p99_ms']:.0f} ms, max {latency['max_ms']:.0f} ms "
                  f"({latency['arrived']}/{latency['replies']} arrived); the reply request itself "
                  f"p50 {latency['reply_request_p50_ms']:.0f} ms; from the reply stored (201) to the stream: "
                  f"p50 {latency['stored_p50_ms']:.0f} ms, p99 {latency['stored_p99_ms']:.0f} ms (stored -> event on "
                  f"the bus p50 {latency['to_bus_p50_ms']:.0f} / p99 {latency['to_bus_p99_ms']:.0f} ms; bus -> stream "
                  f"p50 {latency['bus_p50_ms']:.0f} / p99 {latency['bus_p99_ms']:.0f} ms)", flush=True)
    finally:
        sink.terminate()
        sink.wait(10)


if __name__ == "__main__":
    main()
