"""The gateway forwards to the services with the internal token, passes their errors
through, answers 503 quickly when one is down, and turns guest grants into tokens."""
import time

import pytest
from flask import Flask, jsonify

from services.tickets.app import create_app as create_tickets
from tests.gateway.conftest import bearer, register
from tests.support import ISSUER, SECRET, free_port, png_bytes


@pytest.fixture
def tickets_url(serve, tmp_path):
    app = create_tickets({"DATABASE_URL": f"sqlite:///{tmp_path}/tickets.db", "INTERNAL_TOKEN_SECRET": SECRET,
                          "ATTACHMENT_DIR": str(tmp_path / "files")})
    return serve(app)


@pytest.fixture
def wired(gateway_factory, tickets_url):
    app = gateway_factory(SERVICE_URLS={"tickets": tickets_url, "notifications": f"http://127.0.0.1:{free_port()}",
                                        "video": f"http://127.0.0.1:{free_port()}",
                                        "referrals": f"http://127.0.0.1:{free_port()}"})
    client = app.test_client()
    register(client)
    headers = bearer(client)
    client.delete_cookie("session")
    return app, client, headers


def test_forwards_with_the_callers_identity(wired):
    _, client, headers = wired
    created = client.post("/api/v1/tickets", json={"subject": "Hello there", "category": "other",
                                                   "description": "first"}, headers=headers)
    assert created.status_code == 201
    number = created.json["ticket"]["number"]
    assert created.json["ticket"]["messages"][0]["author"]["name"] == "alice"
    listed = client.get("/api/v1/tickets?status=open", headers=headers)
    assert [t["number"] for t in listed.json["items"]] == [number]


def test_multipart_uploads_pass_through(wired):
    _, client, headers = wired
    response = client.post("/api/v1/tickets", headers=headers, content_type="multipart/form-data", data={
        "subject": "Screenshot", "category": "wallet", "description": "see file",
        "files": [(__import__("io").BytesIO(png_bytes()), "a.png")]})
    assert response.status_code == 201
    url = response.json["ticket"]["messages"][0]["attachments"][0]["url"]
    download = client.get(url, headers=headers)
    assert download.status_code == 200 and download.data == png_bytes()
    assert download.headers["Content-Type"] == "image/png"


def test_service_errors_pass_through_in_the_contract_shape(wired):
    _, client, headers = wired
    response = client.get("/api/v1/tickets?status=bogus", headers=headers)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "validation_error"
    assert client.get("/api/v1/tickets/12345678", headers=headers).status_code == 404


def test_credentials_and_roles_are_checked_before_forwarding(wired):
    _, client, headers = wired
    assert client.get("/api/v1/tickets").status_code == 401
    assert client.get("/api/v1/tickets", headers={"Authorization": "Bearer forged"}).status_code == 401
    agent_only = client.get("/api/v1/agent/tickets", headers=headers)
    assert agent_only.status_code == 403 and agent_only.json["error"]["code"] == "forbidden"
    assert client.get("/api/v1/no-such-thing", headers=headers).status_code == 404


def test_a_service_that_is_down_gives_503_quickly(wired):
    _, client, headers = wired
    started = time.monotonic()
    response = client.get("/api/v1/notifications", headers=headers)
    assert response.status_code == 503
    assert response.json["error"]["code"] == "service_unavailable"
    assert time.monotonic() - started < 3


def test_a_service_that_hangs_gives_503_at_the_timeout(gateway_factory, serve):
    slow = Flask("slow")

    @slow.get("/api/v1/referrals/me")
    def hang():
        time.sleep(3)
        return jsonify({})

    app = gateway_factory(UPSTREAM_READ_TIMEOUT=0.5, SERVICE_URLS={"referrals": serve(slow)})
    client = app.test_client()
    register(client)
    headers = bearer(client)
    started = time.monotonic()
    response = client.get("/api/v1/referrals/me", headers=headers)
    assert response.status_code == 503 and time.monotonic() - started < 2


def test_guest_grants_become_scoped_guest_tokens(gateway_factory, serve):
    """A service's `_guest_grant` is signed by the gateway; the guest then reaches only its scope."""
    seen = []
    fake = Flask("grants")

    @fake.post("/api/v1/guest/tickets/<number>/session")
    def grant(number):
        return jsonify({"_guest_grant": {"email": "g@example.com", "scope": {"ticket": number}, "ttl_seconds": 60}})

    @fake.get("/api/v1/tickets/<number>")
    def detail(number):
        from flask import request

        from shared.internal_auth import verify_internal_token

        caller = verify_internal_token(request.headers["Authorization"][7:], "tickets", SECRET, issuer=ISSUER)
        seen.append(caller)
        return jsonify({"number": number})

    app = gateway_factory(SERVICE_URLS={"tickets": serve(fake)})
    client = app.test_client()
    response = client.post("/api/v1/guest/tickets/12345678/session", json={"t": "x", "code": "123456"})
    assert response.status_code == 200
    body = response.json
    assert body["guest_token"].startswith("g.") and body["expires_in"] == 60 and "_guest_grant" not in body
    assert any(c.startswith("guest_session=") and "HttpOnly" in c for c in response.headers.getlist("Set-Cookie"))
    client.delete_cookie("guest_session")
    headers = {"Authorization": f"Bearer {body['guest_token']}"}
    assert client.get("/api/v1/tickets/12345678", headers=headers).status_code == 200
    assert seen[-1].kind == "guest" and seen[-1].scope == {"ticket": "12345678"}
    assert seen[-1].email == "g@example.com"
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get("/api/v1/referrals/me", headers=headers).status_code == 403
    tampered = body["guest_token"][:-3] + ("AAA" if not body["guest_token"].endswith("AAA") else "BBB")
    assert client.get("/api/v1/tickets/12345678", headers={"Authorization": f"Bearer {tampered}"}).status_code == 401


def test_starting_chats_is_rate_limited_per_address_and_email(gateway_factory, serve):
    fake = Flask("chats")
    started = []

    @fake.post("/api/v1/chats")
    def start():
        started.append(1)
        return jsonify({"chat": {"id": len(started)}}), 201

    app = gateway_factory(SERVICE_URLS={"tickets": serve(fake)}, RATE_LIMIT_CHATS="5/hour",
                          RATE_LIMIT_CHATS_PER_EMAIL="2/hour")
    client = app.test_client()
    for _ in range(2):
        assert client.post("/api/v1/chats", json={"message": "hi", "email": "g@example.com"}).status_code == 201
    limited = client.post("/api/v1/chats", json={"message": "hi", "email": "G@example.com"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    # Every attempt counts against the address, the refused one included: two more get through.
    assert [client.post("/api/v1/chats", json={"message": "hi", "email": f"other{i}@example.com"}).status_code
            for i in range(3)] == [201, 201, 429]
    assert len(started) == 4
