"""The live stream: a new inbox item reaches every open stream of its user within a second,
on the in-process bus and when the worker is another process (RabbitMQ fanout)."""
import threading
import time

import pytest
from werkzeug.serving import make_server

from services.notifications.app import create_app
from services.notifications.models import db
from services.notifications.stream import hub
from services.notifications.worker import create_worker
from shared.bus import EventPublisher, connect, event_exchange
from tests.conftest import close_database
from tests.notifications.conftest import app_settings, customer
from tests.notifications.support import SseClient, WorkerProcess, message_added, requester, wait_until, worker_env
from tests.support import free_port, token


class Served:
    """The app on a real HTTP server in a thread, as a web process serves it."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", free_port(), app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stream(self, user_id: int, **headers) -> SseClient:
        client = SseClient(self.url + "/api/v1/notifications/stream",
                           {**token("notifications", **customer(user_id)), **headers})
        assert client.status_code == 200
        assert client.response.headers["Content-Type"].startswith("text/event-stream")
        assert client.next(kind="comment")["comment"] == "connected"
        return client

    def close(self) -> None:
        self.server.shutdown()


def test_in_process_bus_delivers_to_every_open_stream_of_the_user(tmp_path):
    app = create_app(app_settings(f"sqlite:///{tmp_path}/n.db", AMQP_URL=None))
    served = Served(app)
    worker = create_worker(dict(app.config)).start()
    streams = []
    try:
        laptop, phone, other = served.stream(1), served.stream(1), served.stream(2)
        streams += [laptop, phone, other]
        with connect("memory://") as connection:
            sent = time.monotonic()
            EventPublisher(connection, event_exchange(app.config["EVENT_EXCHANGE"])).publish(
                message_added("12345678", requester(1)))
        for stream in (laptop, phone):
            event = stream.next(kind="notification", timeout=3)
            assert event["arrived"] - sent < 1.0
            assert event["data"]["title"] == "Support replied on ticket 12345678"
            assert event["id"] == str(event["data"]["id"])
        assert other.next(kind="comment", timeout=2)["comment"] == "heartbeat"
        assert other.items.empty() or all("event" not in block for _, block in list(other.items.queue))

        replay = served.stream(1, **{"Last-Event-ID": "0"})
        streams.append(replay)
        assert replay.next(kind="notification")["data"]["title"] == "Support replied on ticket 12345678"
    finally:
        for stream in streams:
            stream.close()
        worker.stop(timeout=10)
        served.close()
        close_database(db)
    wait_until(lambda: hub.open_streams() == 0, message="closed streams to leave the hub")


def test_stream_needs_an_account(tmp_path):
    app = create_app(app_settings(f"sqlite:///{tmp_path}/n.db"))
    try:
        client = app.test_client()
        assert client.get("/api/v1/notifications/stream").status_code == 401
        guest = token("notifications", kind="guest", email="g@example.com", scope={"ticket": "1"})
        assert client.get("/api/v1/notifications/stream", headers=guest).status_code == 403
    finally:
        close_database(db)


@pytest.mark.rabbitmq
def test_a_worker_process_reaches_streams_in_another_process_within_a_second(tmp_path, broker, smtp):
    database_url = f"sqlite:///{tmp_path}/n.db"
    app = create_app(app_settings(database_url, **broker.settings()))
    served = Served(app)
    process = WorkerProcess(worker_env(database_url, broker, smtp.port, tmp_path), tmp_path / "worker.log")
    streams = []
    try:
        process.wait_started()
        streams += [served.stream(7), served.stream(7)]
        latencies = []
        for number in ("11111111", "22222222", "33333333"):
            sent = time.monotonic()
            broker.publish(message_added(number, requester(7), message_id=int(number[:2])))
            for stream in streams:
                event = stream.next(kind="notification", timeout=5)
                assert event["data"]["link"].endswith(f"/support/tickets/{number}")
                latencies.append(event["arrived"] - sent)
        assert max(latencies) < 1.0, latencies
    finally:
        for stream in streams:
            stream.close()
        process.stop()
        served.close()
        close_database(db)
