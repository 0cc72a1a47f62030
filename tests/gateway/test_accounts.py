"""Accounts, sessions, CSRF, rate limits, sub-accounts and devices at the gateway."""
import json

import pytest

from services.gateway.models import Account, OutboxMessage, Session
from tests.gateway.conftest import bearer, register


def outbox_events():
    return [json.loads(row.payload) for row in OutboxMessage.select().order_by(OutboxMessage.id)]


def test_register_hashes_with_argon2_and_publishes_user_registered(client):
    user = register(client, "Alice@Example.com", locale="es", region="ES", referral_code="FRIEND42")
    assert user == {**user, "email": "alice@example.com", "locale": "es", "region": "ES", "role": "customer",
                    "is_sub_account": False}
    account = Account.get_by_id(user["id"])
    assert account.password_hash.startswith("$argon2id$")
    assert "a long password" not in account.password_hash
    [event] = outbox_events()
    assert event["type"] == "user.registered.v1"
    assert event["data"]["email"] == "alice@example.com"
    assert event["data"]["referral_code"] == "FRIEND42"
    assert event["data"]["locale"] == "es"


@pytest.mark.parametrize("body, field", [
    ({"email": "nope", "password": "a long password"}, "email"),
    ({"email": "a@example.com", "password": "short"}, "password"),
    ({"email": "a@example.com", "password": "x" * 200}, "password"),
    ({"email": "a@example.com", "password": "a long password", "locale": "klingon"}, "locale"),
    ({"email": "a@example.com", "password": "a long password", "region": "Spain"}, "region"),
    ({"email": "a@example.com", "password": "a long password", "role": "agent"}, "role"),
    ({"email": ["a@example.com"], "password": "a long password"}, "email"),
])
def test_register_rejects_bad_input(client, body, field):
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 400
    assert field in response.json["error"]["details"]["fields"]
    assert Account.select().count() == 0


def test_register_twice_is_409(client):
    register(client)
    response = client.post("/api/v1/auth/register", json={"email": "ALICE@example.com", "password": "another pass"})
    assert response.status_code == 409 and response.json["error"]["code"] == "email_taken"


def test_login_gives_bearer_and_httponly_lax_cookie(client):
    register(client)
    response = client.post("/api/v1/auth/login", json={"email": "alice@example.com", "password": "a long password"})
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["user"]["email"] == "alice@example.com"
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert Session.get().token_hash != body["access_token"]  # only a hash is stored


def test_wrong_password_and_unknown_email_look_the_same(client):
    register(client)
    wrong = client.post("/api/v1/auth/login", json={"email": "alice@example.com", "password": "wrong password"})
    unknown = client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": "wrong password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json


def test_me_and_logout_end_the_token(client):
    register(client)
    headers = bearer(client)
    client.delete_cookie("session")
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert set(me.json["user"]) >= {"id", "email", "locale", "region", "role", "is_sub_account"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_cookie_requests_need_the_csrf_token(gateway):
    browser = gateway.test_client()
    register(browser)
    browser.post("/api/v1/auth/login", json={"email": "alice@example.com", "password": "a long password"})
    assert browser.get("/api/v1/me").status_code == 200
    refused = browser.post("/api/v1/devices", json={"platform": "ios", "device_id": "d1"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "csrf_failed"
    csrf = browser.get_cookie("csrf_token").value
    wrong = browser.post("/api/v1/devices", json={"platform": "ios", "device_id": "d1"},
                         headers={"X-CSRF-Token": "x" + csrf})
    assert wrong.status_code == 403
    ok = browser.post("/api/v1/devices", json={"platform": "ios", "device_id": "d1"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201


def test_expired_session_is_401(client):
    import datetime as dt

    from shared import clock

    register(client)
    headers = bearer(client)
    client.delete_cookie("session")
    clock.clock.advance(dt.timedelta(days=2))
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_login_and_register_are_rate_limited_with_retry_after(gateway_factory):
    app = gateway_factory(RATE_LIMIT_LOGIN="3/minute", RATE_LIMIT_REGISTER="2/minute")
    client = app.test_client()
    register(client, "one@example.com")
    register(client, "two@example.com")
    limited = client.post("/api/v1/auth/register", json={"email": "three@example.com", "password": "a long password"})
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    for _ in range(3):
        client.post("/api/v1/auth/login", json={"email": "one@example.com", "password": "wrong guess"})
    blocked = client.post("/api/v1/auth/login", json={"email": "one@example.com", "password": "a long password"})
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert Account.select().count() == 2


def test_sub_accounts(client):
    parent = register(client, region="FR")
    headers = bearer(client)
    client.delete_cookie("session")
    response = client.post("/api/v1/auth/sub-accounts", json={"email": "sub@example.com", "password": "sub password"},
                           headers=headers)
    assert response.status_code == 201
    sub = response.json["user"]
    assert sub["is_sub_account"] is True and sub["region"] == "FR"
    events = [e for e in outbox_events() if e["type"] == "user.registered.v1"]
    assert events[-1]["data"]["parent_id"] == parent["id"]
    sub_headers = bearer(client, "sub@example.com", "sub password")
    client.delete_cookie("session")
    nested = client.post("/api/v1/auth/sub-accounts", json={"email": "sub2@example.com", "password": "sub password"},
                         headers=sub_headers)
    assert nested.status_code == 403


def test_first_device_publishes_app_installed_once(client):
    register(client)
    headers = bearer(client)
    client.delete_cookie("session")
    for device in ("phone-1", "phone-1", "tablet-2"):
        assert client.post("/api/v1/devices", json={"platform": "android", "device_id": device},
                           headers=headers).status_code == 201
    installed = [e for e in outbox_events() if e["type"] == "user.app_installed.v1"]
    assert len(installed) == 1 and installed[0]["data"]["device_id"] == "phone-1"
    bad = client.post("/api/v1/devices", json={"platform": "windows", "device_id": "x"}, headers=headers)
    assert bad.status_code == 400


def test_the_accounts_language_changes_once_and_tells_the_services(client):
    register(client, locale="en")
    headers = bearer(client)
    client.delete_cookie("session")
    for locale, expected in (("es", "es"), ("es", "es"), ("zh-TW", "zh-Hant")):
        changed = client.put("/api/v1/me", json={"locale": locale}, headers=headers)
        assert changed.status_code == 200 and changed.json["user"]["locale"] == expected
    assert client.get("/api/v1/me", headers=headers).json["user"]["locale"] == "zh-Hant"
    for body in ({"locale": "fr"}, {}, {"locale": None}, {"locale": "es", "email": "x@example.com"}):
        refused = client.put("/api/v1/me", json=body, headers=headers)
        assert refused.status_code == 400 and refused.json["error"]["code"] == "validation_error"
        assert set(refused.json["error"]["details"]["fields"]) & {"locale", "email"}
    changes = [e["data"] for e in outbox_events() if e["type"] == "user.profile_changed.v1"]
    assert [c["locale"] for c in changes] == ["es", "zh-Hant"]  # the same language again tells nobody


def test_create_agent_cli(database_url, monkeypatch, capsys):
    from services.gateway import cli

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PASSWORD_HASH_MEMORY_KIB", "1024")
    assert cli.main(["create-agent", "--email", "Agent@Support.example", "--password", "agent password",
                     "--tier", "senior", "--department", "compliance"]) == 0
    assert "agent@support.example" in capsys.readouterr().out
    agent = Account.get(Account.email == "agent@support.example")
    assert (agent.role, agent.tier, agent.department) == ("agent", "senior", "compliance")
    assert not [e for e in outbox_events() if e["type"] == "user.registered.v1"]
    profiles = [e["data"] for e in outbox_events() if e["type"] == "agent.profile_changed.v1"]
    assert profiles == [{"user_id": agent.id, "email": "agent@support.example", "name": "agent", "tier": "senior",
                         "department": "compliance", "roles": [], "locale": "en", "active": True}]
    # Made again with another tier, department and roles: the directory hears of it again.
    assert cli.main(["create-agent", "--email", "agent@support.example", "--password", "agent password",
                     "--name", "Ana", "--editor"]) == 0
    profiles = [e["data"] for e in outbox_events() if e["type"] == "agent.profile_changed.v1"]
    assert profiles[1:] == [{"user_id": agent.id, "email": "agent@support.example", "name": "Ana",
                             "tier": "standard", "department": None, "roles": ["editor"], "locale": "en",
                             "active": True}]


def test_login_and_registration_limits_are_counted_apart(gateway_factory):
    app = gateway_factory(RATE_LIMIT_LOGIN="2/minute", RATE_LIMIT_REGISTER="2/minute")
    client = app.test_client()
    register(client, "one@example.com")
    register(client, "two@example.com")
    assert client.post("/api/v1/auth/login", json={"email": "one@example.com",
                                                   "password": "a long password"}).status_code == 200
