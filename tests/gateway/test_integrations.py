"""The signed integration webhook, on SQLite and PostgreSQL."""
import datetime as dt
import hashlib
import hmac
import json
import uuid

import pytest

from services.gateway import integrations
from services.gateway.models import OutboxMessage
from shared import clock
from shared.config import data_dir

KEY = "webhook-test-key-0123456789"
PATH = "/api/v1/integrations/events"


@pytest.fixture
def gateway(gateway_factory):
    return gateway_factory(INTEGRATION_WEBHOOK_SECRET=KEY)


def envelope(event_type="wallet.deposit_completed.v1", occurred_at=None, event_id=None, **data) -> dict:
    data = data or {"user_id": 7, "usdt_value": "49.99", "asset": "USDT", "amount": "49.99", "tx_id": "0xabc"}
    return {"id": event_id or str(uuid.uuid4()), "type": event_type,
            "occurred_at": clock.isoformat(occurred_at or clock.now()), "data": data}


def body_of(value) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def signature(body: bytes, key: str = KEY, timestamp: str | None = None) -> str:
    message = body if timestamp is None else f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def send(client, value, *, key: str = KEY, timestamp: str | None = None, sig: str | None = None, headers=None):
    body = body_of(value)
    sent = {"Content-Type": "application/json", "X-Signature": sig or signature(body, key, timestamp)}
    if timestamp is not None:
        sent["X-Signature-Timestamp"] = timestamp
    sent.update(headers or {})
    return client.post(PATH, data=body, headers=sent)


def rows():
    return list(OutboxMessage.select().order_by(OutboxMessage.id))


def test_a_signed_event_goes_to_the_outbox_under_its_own_id(client):
    event = envelope(occurred_at=clock.now() - dt.timedelta(hours=3))
    response = send(client, event)
    assert response.status_code == 202, response.json
    assert response.json == {"id": event["id"], "type": event["type"], "duplicate": False}
    [row] = rows()
    assert row.event_id == event["id"] and row.event_type == "wallet.deposit_completed.v1"
    published = json.loads(row.payload)
    assert published["occurred_at"] == event["occurred_at"]
    assert published["data"]["usdt_value"] == "49.99" and published["data"]["user_id"] == 7


def test_a_repeated_id_has_one_effect(client):
    event = envelope()
    assert send(client, event).status_code == 202
    again = send(client, event)
    assert again.status_code == 202 and again.json["duplicate"] is True
    changed = dict(event, data={"user_id": 8, "usdt_value": "1000"})
    assert send(client, changed).status_code == 202
    [row] = rows()
    assert json.loads(row.payload)["data"]["user_id"] == 7


def test_a_bad_signature_is_401_and_stores_nothing(client):
    event = envelope()
    body = body_of(event)
    attempts = {
        "wrong key": lambda: send(client, event, key="another key"),
        "tampered body": lambda: send(client, body.replace(b"49.99", b"99.99"), sig=signature(body)),
        "missing": lambda: client.post(PATH, data=body, headers={"Content-Type": "application/json"}),
        "no prefix": lambda: send(client, event, sig=signature(body)[len("sha256="):]),
        "not hex": lambda: send(client, event, sig="sha256=" + "zz" * 32),
        "not ascii": lambda: send(client, event, sig="sha256=" + "\u00e9" * 64),
    }
    for how, attempt in attempts.items():
        response = attempt()
        assert response.status_code == 401, how
        assert response.json["error"]["code"] == "invalid_signature", how
    assert rows() == []


def test_a_signed_timestamp_must_be_within_five_minutes(client):
    now = int(clock.now().replace(tzinfo=dt.UTC).timestamp())
    # With a timestamp the event itself may be old or ahead: the timestamp bounds the replay.
    late = envelope("user.app_installed.v1", occurred_at=clock.now() + dt.timedelta(days=8), user_id=7)
    assert send(client, late, timestamp=str(now - 240)).status_code == 202
    # The timestamp is part of what is signed.
    event = envelope()
    assert send(client, event, timestamp=str(now), sig=signature(body_of(event))).json["error"]["code"] == \
        "invalid_signature"
    for stale in (now - 330, now + 330):
        response = send(client, envelope(), timestamp=str(stale))
        assert response.status_code == 401 and response.json["error"]["code"] == "signature_expired"
    assert send(client, envelope(), timestamp="yesterday").status_code == 401
    assert len(rows()) == 1


def test_without_a_timestamp_the_event_time_is_bounded(client):
    now = clock.now()
    for accepted in (now + dt.timedelta(minutes=4), now - dt.timedelta(days=29)):
        assert send(client, envelope(occurred_at=accepted)).status_code == 202
    for refused in (now + dt.timedelta(minutes=6), now - dt.timedelta(days=31)):
        response = send(client, envelope(occurred_at=refused))
        assert response.status_code == 401 and response.json["error"]["code"] == "signature_expired"
    assert len(rows()) == 2


BAD_ENVELOPES = [
    (envelope("user.registered.v1"), "unsupported_event_type"),
    (envelope("referral.box_granted.v1", box_id=1, user_id=1, milestone="app_installed"), "unsupported_event_type"),
    (b"{not json", "invalid_json"),
    (b"[1, 2]", "invalid_json"),
    (dict(envelope(), id="evt_123"), "validation_error"),
    (dict(envelope(), occurred_at="last tuesday"), "validation_error"),
    (dict(envelope(), data="x"), "validation_error"),
    (envelope(usdt_value="-5", user_id=7), "validation_error"),
    (envelope(usdt_value="lots", user_id=7), "validation_error"),
    (envelope("user.app_installed.v1", platform="ios"), "validation_error"),
    (envelope("user.app_installed.v1", user_id=0), "validation_error"),
    (envelope("trade.buy_completed.v1", user_id=2**40, usdt_value="5"), "validation_error"),
    (envelope("trade.buy_completed.v1", user_id=7, usdt_value="1e999999"), "validation_error"),
]


def test_bad_envelopes_are_400_and_store_nothing(client):
    for value, code in BAD_ENVELOPES:
        response = send(client, value)
        assert response.status_code == 400, (value, response.json)
        assert response.json["error"]["code"] == code, value
    assert rows() == []


def test_only_json_bodies_up_to_64_kib(client):
    event = envelope()
    event["data"]["padding"] = "x" * (70 * 1024)
    response = send(client, event)
    assert response.status_code == 413 and response.json["error"]["code"] == "payload_too_large"
    assert rows() == []


def test_the_webhook_route_wins_over_the_catch_all_proxy(gateway):
    adapter = gateway.url_map.bind("localhost")
    endpoint, _ = adapter.match(PATH, method="POST")
    assert endpoint.startswith("integrations.")
    assert adapter.match("/api/v1/referrals/me", method="GET")[0] == "proxy.proxy"


def test_the_embedded_default_makes_a_secret_and_prints_it(gateway_factory, monkeypatch):
    monkeypatch.delenv("INTEGRATION_WEBHOOK_SECRET", raising=False)
    app = gateway_factory()
    made = (data_dir() / "secrets" / "integration_webhook_secret").read_text().strip()
    assert len(made) >= 32
    assert integrations.embedded_notice().endswith(made)
    event = envelope()
    client = app.test_client()
    assert send(client, event, key=made).status_code == 202
    assert send(client, envelope(), key=KEY).status_code == 401
    monkeypatch.setenv("INTEGRATION_WEBHOOK_SECRET", "set by the deployment")
    assert integrations.embedded_notice() is None
