"""Fixtures of the video service's tests: the service on SQLite and PostgreSQL, and a
real tickets service on a free port for it to ask about tickets."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
import requests
from werkzeug.serving import make_server

from services.tickets.app import create_app as create_tickets_app
from services.tickets.models import db as tickets_db
from services.video.app import create_app
from services.video.models import OutboxMessage, db
from shared import clock
from tests.conftest import close_database
from tests.support import SECRET, CallerClient, agent, customer, free_port, token

VIDEO_SECRET = "video-provider-secret-" + "y" * 16
CODE_SECRET = "video-code-secret-" + "z" * 16


@pytest.fixture(scope="module")
def tickets_url(tmp_path_factory):
    """The tickets service, served over HTTP from a thread (its own SQLite file), once per test module.

    Each test opens its own tickets, so sharing the service between a module's tests is safe.
    """
    folder = tmp_path_factory.mktemp("tickets")
    app = create_tickets_app({"DATABASE_URL": f"sqlite:///{folder}/tickets.db", "INTERNAL_TOKEN_SECRET": SECRET,
                              "ATTACHMENT_DIR": str(folder / "attachments"), "TESTING": True})
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(5)
    close_database(tickets_db)


def video_config(database_url: str, tickets_url: str, **extra) -> dict:
    return {"DATABASE_URL": database_url, "INTERNAL_TOKEN_SECRET": SECRET, "TICKETS_URL": tickets_url,
            "VIDEO_APP_SECRET": VIDEO_SECRET, "VIDEO_CODE_SECRET": CODE_SECRET, "TESTING": True, **extra}


@pytest.fixture
def app(database_url, tickets_url):
    app = create_app(video_config(database_url, tickets_url))
    yield app
    close_database(db)


@pytest.fixture
def client(app):
    return app.test_client()


class As(CallerClient):
    """Requests to the video service on behalf of one caller."""

    service = "video"


@pytest.fixture
def alice(client):
    return As(client, customer(1, "alice@example.com"))


@pytest.fixture
def bob(client):
    return As(client, customer(2, "bob@example.com"))


@pytest.fixture
def support(client):
    return As(client, agent(900))


def guest_for_email(client, email: str) -> As:
    return As(client, {"kind": "guest", "email": email, "scope": {"video_email": email}})


def open_ticket(tickets_url: str, who: dict | None = None, **fields) -> str:
    """A ticket opened on the real tickets service; returns its number."""
    who = who or customer(1, "alice@example.com")
    body = {"subject": "Card stolen", "category": "video_verification",
            "description": "My card was stolen; please block it.", **fields}
    response = requests.post(f"{tickets_url}/api/v1/tickets", json=body, headers=token("tickets", **who), timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["ticket"]["number"]


def at(delta: dt.timedelta) -> str:
    """An instant `delta` from now, whole seconds, with its `Z`."""
    return clock.isoformat((clock.now() + delta).replace(microsecond=0))


def slot(start_in: dt.timedelta, minutes: int = 30) -> dict:
    return {"start": at(start_in), "end": at(start_in + dt.timedelta(minutes=minutes))}


def propose(support: As, number: str, *slots: dict) -> dict:
    response = support.post(f"/api/v1/agent/tickets/{number}/video-calls", json={"slots": list(slots)})
    assert response.status_code == 201, response.json
    return response.json["call"]


def events(event_type: str | None = None) -> list[dict]:
    import json

    rows = OutboxMessage.select().order_by(OutboxMessage.id)
    found = [json.loads(row.payload) for row in rows]
    return [e for e in found if event_type is None or e["type"] == event_type]


HOURS = dt.timedelta(hours=1)
MINUTES = dt.timedelta(minutes=1)
