"""The outside security audit's findings at the gateway: limits a stranger could use to lock
customers out, bad input answered with a 500, paths forwarded with their encoding undone, and
the headers of the answers. The gateway alone against a recording upstream first, then the
whole product as `make run` starts it."""
import io
import json
import threading
import uuid

import pytest
import requests
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from tests.e2e.harness import register_and_login, start_product
from tests.gateway.conftest import bearer, register
from tests.support import free_port

BIG_ID = 2 ** 63
HSTS = "max-age=31536000; includeSubDomains"


@pytest.fixture
def database_url(tmp_path):
    """The gateway's own database is not what these tests are about: SQLite only."""
    return f"sqlite:///{tmp_path}/gateway.db"


@pytest.fixture(scope="module")
def recording_upstream():
    """One upstream for every service, for the module, that records the raw path it is sent and
    answers JSON with its own copies of the headers the gateway owns."""
    seen: list[str] = []
    fake = Flask("recorder")

    @fake.route("/<path:rest>", methods=["GET", "POST", "PUT", "DELETE"])
    def record(rest):
        seen.append(request.environ["REQUEST_URI"])
        return jsonify(ok=True), 200, {"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=60"}

    server = make_server("127.0.0.1", free_port(), fake, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    yield {name: url for name in ("tickets", "notifications", "video", "referrals")}, seen
    server.shutdown()
    thread.join(5)


@pytest.fixture
def recorder(recording_upstream):
    urls, seen = recording_upstream
    seen.clear()
    return urls, seen


@pytest.fixture
def recorded(gateway_factory, recorder):
    urls, seen = recorder
    client = gateway_factory(SERVICE_URLS=urls).test_client()
    register(client)
    headers = bearer(client)
    client.delete_cookie("session")
    return client, headers, seen


# -- 1 and 4: rate limits that lock the client or the email typed, never everyone or the person --

def test_chats_without_an_email_share_no_bucket_and_customers_have_their_own(gateway_factory, recorder):
    urls, seen = recorder
    client = gateway_factory(SERVICE_URLS=urls, RATE_LIMIT_CHATS="100/hour",
                             RATE_LIMIT_CHATS_PER_EMAIL="2/hour").test_client()
    register(client, "alice@example.com")
    register(client, "bob@example.com")
    alice, bob = bearer(client, "alice@example.com"), bearer(client, "bob@example.com")
    client.delete_cookie("session")
    strangers = [client.post("/api/v1/chats", json={"message": "hi"}, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
                 for i in range(5)]
    assert [r.status_code for r in strangers] == [200] * 5  # forwarded: no "no email" bucket to fill
    assert [client.post("/api/v1/chats", json={"message": "hi"}, headers=alice).status_code
            for _ in range(3)] == [200, 200, 429]  # a customer's own bucket, by account
    assert client.post("/api/v1/chats", json={"message": "hi"}, headers=bob).status_code == 200
    for _ in range(2):
        client.post("/api/v1/chats", json={"message": "hi", "email": "g@example.com"})
    assert client.post("/api/v1/chats", json={"message": "hi", "email": "G@example.com"},
                       environ_base={"REMOTE_ADDR": "10.0.1.1"}).status_code == 429  # per email typed


def test_guest_tickets_without_an_email_share_no_bucket(gateway_factory, recorder):
    urls, _ = recorder
    client = gateway_factory(SERVICE_URLS=urls, RATE_LIMIT_GUEST_TICKETS_PER_EMAIL="2/hour").test_client()
    for i in range(4):
        answer = client.post("/api/v1/guest/tickets", data={"subject": "no email"}, content_type="multipart/form-data",
                             environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
        assert answer.status_code == 200
    assert client.post("/api/v1/guest/tickets", json={"email": "g@example.com", "subject": "x"}).status_code == 200


def test_failed_logins_lock_the_client_not_the_account(gateway_factory):
    client = gateway_factory(RATE_LIMIT_LOGIN_PER_EMAIL="3/minute").test_client()
    register(client, "victim@example.com")

    def login(password, address, email="victim@example.com"):
        return client.post("/api/v1/auth/login", json={"email": email, "password": password},
                           environ_base={"REMOTE_ADDR": address})

    assert [login("guess", "10.0.0.66").status_code for _ in range(3)] == [401, 401, 401]
    blocked = login("a long password", "10.0.0.66")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert login("a long password", "10.0.0.7").status_code == 200  # the owner, elsewhere
    assert [login("a long password", "10.0.0.8").status_code for _ in range(5)] == [200] * 5  # successes are free
    assert [login("guess", f"10.0.1.{i}", email=None).status_code for i in range(5)] == [400] * 5  # no "-" bucket


# -- 2 and 3: ids and paths checked and encoded at the gateway ------------------------------------------

def test_paths_are_forwarded_with_each_segment_encoded_again(recorded):
    client, headers, seen = recorded
    for auth in (headers, {}):  # the fast path below Flask (bearer GETs), then Flask (the cookie)
        assert client.get("/api/v1/tickets/12345678%3Ffoo", headers=auth).status_code == 404
        assert client.get("/api/v1/help/articles/a%3Fb%23c%25d%20e", headers=auth).status_code == 200
        assert client.get("/api/v1/help/articles/caf%C3%A9?q=%3F", headers=auth).status_code == 200
        bearer(client)
    assert seen == ["/api/v1/help/articles/a%3Fb%23c%25d%20e", "/api/v1/help/articles/caf%C3%A9?q=%3F"] * 2


MALFORMED = [
    "/api/v1/tickets/abc", "/api/v1/tickets/12345678%3Ffoo", "/api/v1/agent/tickets/1x/messages",
    "/api/v1/attachments/%23%0Ax", "/api/v1/attachments/not-a-uuid", "/api/v1/chats/zz/messages",
    f"/api/v1/notifications/{BIG_ID}/read", f"/api/v1/push-subscriptions/{BIG_ID}",
    f"/api/v1/referrals/boxes/{BIG_ID}/open", f"/api/v1/video-calls/{'9' * 30}",
    "/api/v1/notifications/12%3F/read", "/api/v1/tickets/12345678/..%2F..%2Fagent%2Ftickets",
    "/api/v1/tickets/%2E%2E/agent/tickets",
]


def test_malformed_ids_are_404_without_a_call_to_the_service(recorded):
    client, headers, seen = recorded
    for path in MALFORMED:
        for method in ("GET", "POST", "DELETE"):
            answer = client.open(path, method=method, headers=headers)
            assert answer.status_code == 404, (method, path, answer.json)
            assert answer.json["error"]["code"] == "not_found"
    assert seen == []


def test_well_formed_ids_are_forwarded(recorded):
    client, headers, seen = recorded
    assert client.post(f"/api/v1/notifications/{BIG_ID - 1}/read", headers=headers).status_code == 200
    assert client.delete("/api/v1/push-subscriptions/7", headers=headers).status_code == 200
    assert client.post("/api/v1/referrals/boxes/7/open", headers=headers).status_code == 200
    attachment, chat = str(uuid.uuid4()), uuid.uuid4().hex
    assert client.get(f"/api/v1/attachments/{attachment}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/chats/{chat}", headers=headers).status_code == 200
    assert client.post("/api/v1/notifications/read-all", headers=headers).status_code == 200
    assert seen == [f"/api/v1/notifications/{BIG_ID - 1}/read", "/api/v1/push-subscriptions/7",
                    "/api/v1/referrals/boxes/7/open", f"/api/v1/attachments/{attachment}",
                    f"/api/v1/chats/{chat}", "/api/v1/notifications/read-all"]


def test_the_gateways_own_json_refuses_what_no_database_stores(recorded):
    client, _, seen = recorded
    for body in ('{"email": "a\\ud800@example.com", "password": "a long password"}', "[" * 1000 + "]" * 1000,
                 '{"email": "a@example.com", "password": "a long\\u0000password"}'):
        for path in ("/api/v1/auth/login", "/api/v1/auth/register"):
            answer = client.post(path, data=body, content_type="application/json")
            assert answer.status_code == 400, (path, body[:20], answer.json)
            assert answer.json["error"]["code"] in ("invalid_json", "validation_error")
        for path in ("/api/v1/chats", "/api/v1/guest/tickets"):  # the rate limits' keys read the body too
            assert client.post(path, data=body, content_type="application/json").status_code == 200
    assert len(seen) == 6  # forwarded, for the service to refuse
    assert client.get("/api/v1/help/articles?q=%00").status_code == 400
    assert client.get("/api/v1/help/articles?q=%ED%A0%80").status_code == 200


# -- 6: headers ---------------------------------------------------------------------------------------

def test_authenticated_answers_are_not_stored_and_carry_each_security_header_once(recorded):
    client, headers, _ = recorded
    for auth in (headers, {}):  # the fast path below Flask (bearer GETs), then Flask (the cookie)
        for answer in (client.get("/api/v1/notifications", headers=auth),
                       client.get(f"/api/v1/attachments/{uuid.uuid4()}", headers=auth),
                       client.get("/api/v1/me", headers=auth),
                       client.get("/api/v1/tickets/abc", headers=auth)):
            assert answer.headers.getlist("Cache-Control") == ["no-store"], answer.request.path
            assert answer.headers.getlist("X-Content-Type-Options") == ["nosniff"]
            assert "Strict-Transport-Security" not in answer.headers  # HSTS_SECONDS is 0 by default
        bearer(client)


def test_hsts_when_configured(gateway_factory, recorder):
    urls, _ = recorder
    client = gateway_factory(SERVICE_URLS=urls, HSTS_SECONDS=31536000).test_client()
    register(client)
    headers = bearer(client)
    for answer in (client.get("/api/v1/notifications", headers=headers), client.get("/api/v1/help/articles"),
                   client.get("/readyz")):
        assert answer.headers.getlist("Strict-Transport-Security") == [HSTS]


# -- through the whole product, as `make run` starts it -----------------------------------------------------

@pytest.fixture(scope="module")
def product(tmp_path_factory):
    running = start_product(tmp_path_factory.mktemp("hardening"))
    yield running
    running.stop()


def test_bad_input_is_a_400_in_every_service(product):
    alice = register_and_login(product)
    lone = "x\ud800y"  # json.dumps writes it as the escape "\ud800"
    checks = [
        ("POST", "/api/v1/auth/register", {"email": "a@example.com", "password": lone}, None),
        ("POST", "/api/v1/auth/login", {"email": lone, "password": "p"}, None),
        ("POST", "/api/v1/tickets", {"subject": lone, "category": "other", "description": "hello there"}, alice),
        ("POST", "/api/v1/guest/tickets", {"email": "g@example.com", "subject": "Hello", "category": "other",
                                           "description": lone}, None),
        ("POST", "/api/v1/chats", {"message": lone}, alice),
        ("POST", "/api/v1/chats", {"message": lone, "email": "g@example.com"}, None),
        ("POST", "/api/v1/guest/video-calls/verification-code", {"email": lone}, None),
        ("PUT", "/api/v1/notification-preferences", {"push": {"ticket_updates": lone}}, alice),
        ("POST", "/api/v1/tickets", "[" * 1000 + "]" * 1000, alice),
        ("POST", "/api/v1/video-calls/1/booking", '{"a":' * 1000 + "{}" + "}" * 1000, alice),
    ]
    for method, path, body, who in checks:
        data = body if isinstance(body, str) else json.dumps(body)
        send = who.request if who else lambda m, p, **kw: requests.request(m, product.url(p), timeout=30, **kw)
        answer = send(method, path, data=data, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, (path, answer.text)
        assert set(answer.json()["error"]) == {"code", "message", "details"}
    form = {"subject": "Hello there", "category": "other"}
    upload = {"files": ("a.txt", io.BytesIO(b"plain text"), "text/plain")}
    refused = alice.post("/api/v1/tickets", data={**form, "description": "a\x00b"}, files=upload)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "validation_error"
    raw = alice.post("/api/v1/tickets", data={**form, "description": b"a\xed\xa0\x80b"}, files=upload)
    assert raw.status_code in (201, 400), raw.text  # read as U+FFFD: stored, or refused, never a 500
    answer = alice.post("/api/v1/tickets", data=b"subject=Hello&category=other&description=a%ED%A0%80b%00",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "validation_error"
    for path in ("/api/v1/help/articles?q=%ED%A0%80", "/api/v1/help/articles?q=%00", "/api/v1/tickets?status=%00",
                 "/api/v1/help/suggestions?text=%ED%A0%80%00"):
        assert alice.get(path).status_code in (200, 400), path
    for method, path in (("POST", f"/api/v1/notifications/{BIG_ID}/read"),
                         ("DELETE", f"/api/v1/push-subscriptions/{BIG_ID}"),
                         ("POST", f"/api/v1/referrals/boxes/{BIG_ID}/open"),
                         ("POST", f"/api/v1/referrals/boxes/{BIG_ID - 1}/open"),
                         ("POST", f"/api/v1/notifications/{BIG_ID - 1}/read")):
        answer = alice.request(method, path)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found", (path, answer.text)


def test_encoded_paths_reach_no_other_resource_and_raise_no_false_outage(product):
    alice = register_and_login(product)
    created = alice.post("/api/v1/tickets", json={"subject": "Hello there", "category": "other",
                                                  "description": "a question"})
    number = created.json()["ticket"]["number"]
    assert alice.get(f"/api/v1/tickets/{number}").status_code == 200
    before = product.logs().count("upstream unreachable")
    for auth in ("bearer", "cookie"):
        headers = {} if auth == "bearer" else {"Authorization": None}
        if auth == "cookie":
            alice.session.cookies.set("session", alice.token)
        smuggled = alice.get(f"/api/v1/tickets/{number}%3Ffoo", headers=headers)
        assert smuggled.status_code == 404 and smuggled.json()["error"]["code"] == "not_found"
        broken = alice.get("/api/v1/attachments/%23%0Ax", headers=headers)
        assert broken.status_code == 404 and broken.json()["error"]["code"] == "not_found"
    assert product.logs().count("upstream unreachable") == before


def test_answers_name_no_server_software(product):
    alice = register_and_login(product)
    for answer in (alice.get("/api/v1/tickets"), alice.get("/api/v1/me"), requests.get(product.url("/readyz")),
                   requests.get(product.url("/"))):
        server = answer.headers.get("Server", "")
        assert "Werkzeug" not in server and "Python" not in server, server
        assert answer.headers.get("X-Content-Type-Options") == "nosniff"
        assert "," not in answer.headers.get("X-Content-Type-Options")
    assert alice.get("/api/v1/tickets").headers["Cache-Control"] == "no-store"
