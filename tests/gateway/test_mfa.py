"""Two-factor sign-in and the anti-phishing code at the gateway: enrolment, the login's
second step (drift, replay, recovery codes, five wrong codes), agents held back until
they enrol (both the Flask view and the bearer fast path), audit rows, and no secret
stored in the clear or logged."""
import datetime as dt
import json
import logging

import pyotp
import pytest

from services.gateway.audit import AuditEvent
from services.gateway.models import Account, MfaChallenge, OutboxMessage, RecoveryCode
from shared import clock
from tests.gateway.conftest import bearer, register
from tests.support import free_port

PASSWORD = "a long password"
START = dt.datetime(2030, 1, 1, 12, 0, 5)


@pytest.fixture
def frozen():
    clock.clock.freeze(START)
    return clock.clock


def code_at(secret: str, offset_steps: int = 0) -> str:
    step = int(clock.now().replace(tzinfo=dt.UTC).timestamp()) // 30 + offset_steps
    return pyotp.TOTP(secret).generate_otp(step)


def enrol(client, headers) -> tuple[str, list[str]]:
    offer = client.post("/api/v1/me/mfa/totp", headers=headers)
    assert offer.status_code == 201, offer.json
    confirmed = client.post("/api/v1/me/mfa/totp/confirm", json={"code": code_at(offer.json["secret"])},
                            headers=headers)
    assert confirmed.status_code == 200, confirmed.json
    return offer.json["secret"], confirmed.json["recovery_codes"]


def start_login(client, email="alice@example.com") -> str:
    answer = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.json
    assert answer.json["mfa_required"] is True and answer.json["expires_in"] > 0
    assert "access_token" not in answer.json
    assert not answer.headers.getlist("Set-Cookie")
    return answer.json["mfa_token"]


def second_step(client, token, code):
    return client.post("/api/v1/auth/login/mfa", json={"mfa_token": token, "code": code})


def audit_rows(action):
    return list(AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id))


def test_enrolment_gives_a_secret_a_uri_and_an_svg_and_keeps_the_secret_sealed(client, frozen):
    register(client)
    headers = bearer(client)
    first = client.post("/api/v1/me/mfa/totp", headers=headers).json
    offer = client.post("/api/v1/me/mfa/totp", headers=headers)  # a second call replaces the first
    assert offer.status_code == 201 and offer.headers["Cache-Control"] == "no-store"
    secret = offer.json["secret"]
    assert secret != first["secret"] and len(secret) >= 16
    assert offer.json["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={secret}" in offer.json["otpauth_uri"] and "issuer=Support" in offer.json["otpauth_uri"]
    assert offer.json["qr_svg"].startswith("<svg") and "<script" not in offer.json["qr_svg"]
    account = Account.get()
    assert secret not in (account.totp_pending_secret or "") and account.totp_secret is None
    # The replaced secret no longer confirms; the current one does.
    stale = client.post("/api/v1/me/mfa/totp/confirm", json={"code": code_at(first["secret"])}, headers=headers)
    assert stale.status_code == 400 and stale.json["error"]["code"] == "invalid_code"
    assert client.get("/api/v1/me", headers=headers).json["user"]["mfa_enabled"] is False
    confirmed = client.post("/api/v1/me/mfa/totp/confirm", json={"code": code_at(secret)}, headers=headers)
    assert confirmed.status_code == 200
    codes = confirmed.json["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    me = client.get("/api/v1/me", headers=headers).json["user"]
    assert me["mfa_enabled"] is True and me["anti_phishing_code_set"] is False
    account = Account.get()
    assert account.totp_pending_secret is None and secret not in account.totp_secret
    stored = [row.code_hash for row in RecoveryCode.select()]
    assert len(stored) == 10 and not {code.replace("-", "") for code in codes} & set(stored)
    again = client.post("/api/v1/me/mfa/totp", headers=headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "mfa_already_enabled"
    [enabled] = audit_rows("mfa.enabled")
    assert enabled.actor_id == account.id


def test_the_two_step_login_with_drift_and_no_replay(client, frozen):
    register(client)
    secret, _ = enrol(client, bearer(client))
    frozen.advance(dt.timedelta(seconds=60))
    token = start_login(client)
    wrong = second_step(client, token, "000000" if code_at(secret) != "000000" else "111111")
    assert wrong.status_code == 400 and wrong.json["error"]["details"]["attempts_left"] == 4
    late = code_at(secret, -1)  # a code of the step before: clocks drift
    answer = second_step(client, token, late)
    assert answer.status_code == 200, answer.json
    assert answer.json["token_type"] == "Bearer" and answer.json["user"]["mfa_enabled"] is True
    cookies = answer.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=") and "HttpOnly" in c for c in cookies)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {answer.json['access_token']}"}).status_code == 200
    # The token is spent, and the code (or an older one) cannot be used again.
    spent = second_step(client, token, code_at(secret))
    assert spent.status_code == 401 and spent.json["error"]["code"] == "mfa_token_expired"
    replay = second_step(client, start_login(client), late)
    assert replay.status_code == 400 and replay.json["error"]["code"] == "invalid_code"
    assert second_step(client, start_login(client), code_at(secret)).status_code == 200
    assert second_step(client, start_login(client), code_at(secret, 2)).status_code == 400  # too far ahead
    [login] = [row for row in audit_rows("auth.login") if json.loads(row.details).get("method") == "totp"][:1]
    assert json.loads(login.details)["mfa"] is True


def test_a_recovery_code_works_once(client, frozen):
    register(client)
    _, codes = enrol(client, bearer(client))
    answer = second_step(client, start_login(client), codes[3].upper().replace("-", " "))
    assert answer.status_code == 200, answer.json
    again = second_step(client, start_login(client), codes[3])
    assert again.status_code == 400 and again.json["error"]["details"]["attempts_left"] == 4
    assert RecoveryCode.select().where(RecoveryCode.used_at.is_null(False)).count() == 1


def test_five_wrong_codes_end_the_mfa_token(client, frozen):
    register(client)
    secret, _ = enrol(client, bearer(client))
    frozen.advance(dt.timedelta(seconds=60))
    token = start_login(client)
    wrong = "123456" if code_at(secret) != "123456" else "654321"
    left = [second_step(client, token, wrong).json["error"]["details"]["attempts_left"] for _ in range(5)]
    assert left == [4, 3, 2, 1, 0]
    ended = second_step(client, token, code_at(secret))
    assert ended.status_code == 401 and ended.json["error"]["code"] == "mfa_token_expired"
    assert MfaChallenge.get().ended_at is not None
    failed = audit_rows("auth.mfa_failed")
    assert len(failed) == 5 and failed[0].actor_id == Account.get().id
    unknown = second_step(client, "not-a-token", code_at(secret))
    assert unknown.status_code == 401 and unknown.json["error"]["code"] == "invalid_mfa_token"
    # A new login starts over.
    assert second_step(client, start_login(client), code_at(secret)).status_code == 200


def test_the_mfa_token_lasts_five_minutes(client, frozen):
    register(client)
    secret, _ = enrol(client, bearer(client))
    token = start_login(client)
    frozen.advance(dt.timedelta(seconds=301))
    expired = second_step(client, token, code_at(secret))
    assert expired.status_code == 401 and expired.json["error"]["code"] == "mfa_token_expired"


@pytest.mark.parametrize("body", [{}, {"mfa_token": "x"}, {"mfa_token": "x", "code": ""},
                                  {"mfa_token": "x", "code": 123456}, {"mfa_token": "x", "code": "1" * 100},
                                  {"mfa_token": "x", "code": "123456", "extra": 1}])
def test_bad_second_step_bodies_are_400(client, body):
    response = client.post("/api/v1/auth/login/mfa", json=body)
    assert response.status_code == 400 and response.json["error"]["code"] == "validation_error"


def test_failed_logins_are_audited_without_the_password(client):
    register(client)
    assert client.post("/api/v1/auth/login", json={"email": " Alice@Example.com ", "password": "wrong one"}
                       ).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": "wrong two"}
                       ).status_code == 401
    rows = audit_rows("auth.login_failed")
    assert [(r.actor_id, r.actor_email) for r in rows] == [(None, "alice@example.com"), (None, "nobody@example.com")]
    assert not any("wrong" in r.details for r in rows)
    bearer(client)
    [login] = audit_rows("auth.login")
    assert login.actor_id == Account.get().id and json.loads(login.details) == {"mfa": False}


def test_a_customer_may_turn_2fa_off_with_a_code(client, frozen):
    register(client)
    headers = bearer(client)
    secret, _ = enrol(client, headers)
    wrong = client.delete("/api/v1/me/mfa/totp", json={"code": "zzzzz-zzzzz"}, headers=headers)
    assert wrong.status_code == 400
    frozen.advance(dt.timedelta(seconds=30))
    assert client.delete("/api/v1/me/mfa/totp", json={"code": code_at(secret)}, headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).json["user"]["mfa_enabled"] is False
    assert RecoveryCode.select().count() == 0
    assert "access_token" in client.post("/api/v1/auth/login", json={"email": "alice@example.com",
                                                                      "password": PASSWORD}).json


@pytest.fixture
def agent_gateway(gateway_factory):
    """The services are down: an agent call that passes the gateway's checks gets 503."""
    down = {name: f"http://127.0.0.1:{free_port()}" for name in ("tickets", "notifications", "video", "referrals")}
    return gateway_factory(SERVICE_URLS=down, UPSTREAM_CONNECT_TIMEOUT=0.5)


def make_agent(client, email="agent@support.example") -> None:
    register(client, email)
    Account.update(role="agent").where(Account.email == email).execute()


def test_an_agent_must_enrol_before_any_agent_call(agent_gateway, frozen):
    client = agent_gateway.test_client()
    make_agent(client)
    login = client.post("/api/v1/auth/login", json={"email": "agent@support.example", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    csrf = {"X-CSRF-Token": client.get_cookie("csrf_token").value}
    for method, path, kwargs in [("GET", "/api/v1/agent/tickets", {"headers": headers}),  # the fast path
                                 ("GET", "/api/v1/agent/tickets/10000001", {}),  # the cookie, through Flask
                                 ("POST", "/api/v1/agent/tickets/10000001/resolve", {"headers": csrf}),
                                 ("POST", "/api/v1/agent/tickets/1/video-calls", {"headers": headers, "json": {}})]:
        refused = client.open(path, method=method, **kwargs)
        assert refused.status_code == 403, (path, refused.json)
        assert refused.json["error"]["code"] == "mfa_enrollment_required"
    assert client.get("/api/v1/me", headers=headers).json["user"]["mfa_enabled"] is False
    # Nor the paths customers use (tickets, attachments, calls): an agent touches none before 2FA.
    customers_path = client.post("/api/v1/tickets", json={}, headers=headers)
    assert customers_path.status_code == 403 and customers_path.json["error"]["code"] == "mfa_enrollment_required"

    secret, _ = enrol(client, headers)
    # The session that confirmed has passed the second factor; both paths now forward (to a service that is down).
    assert client.get("/api/v1/agent/tickets", headers=headers).status_code == 503
    assert client.get("/api/v1/agent/tickets/10000001").status_code == 503
    off = client.delete("/api/v1/me/mfa/totp", json={"code": code_at(secret, 1)}, headers=headers)
    assert off.status_code == 403 and off.json["error"]["code"] == "mfa_required_for_staff"

    # Another session, by password only, would not do; the login now asks for the code anyway.
    token = start_login(client, "agent@support.example")
    answer = second_step(client, token, code_at(secret, 1))
    assert answer.status_code == 200
    fresh = {"Authorization": f"Bearer {answer.json['access_token']}"}
    assert client.get("/api/v1/agent/tickets", headers=fresh).status_code == 503


def test_a_confirmation_made_through_another_process_counts_at_once(agent_gateway, frozen):
    """Sessions are cached per process for a few seconds; a refusal looks again."""
    from services.gateway import accounts

    client = agent_gateway.test_client()
    make_agent(client)
    headers = bearer(client, "agent@support.example")
    assert client.get("/api/v1/agent/tickets", headers=headers).status_code == 403  # cached, not passed
    session = accounts.session_for_token(headers["Authorization"][7:])
    cached_mfa_at = session.mfa_at
    Account.update(totp_enabled_at=clock.now()).execute()
    type(session).update(mfa_at=clock.now()).execute()  # as another process's confirmation would
    assert cached_mfa_at is None
    assert client.get("/api/v1/agent/tickets", headers=headers).status_code == 503


def test_agents_need_no_2fa_when_it_is_not_required(gateway_factory):
    down = {name: f"http://127.0.0.1:{free_port()}" for name in ("tickets", "notifications", "video", "referrals")}
    client = gateway_factory(SERVICE_URLS=down, AGENT_MFA_REQUIRED=False, UPSTREAM_CONNECT_TIMEOUT=0.5).test_client()
    make_agent(client)
    assert client.get("/api/v1/agent/tickets", headers=bearer(client, "agent@support.example")).status_code == 503


@pytest.mark.parametrize("code", ["abc", "a" * 21, "has space", "<b>hi</b>", "código", 1234, ["ABCD"]])
def test_the_anti_phishing_code_is_4_to_20_letters_or_digits(client, code):
    register(client)
    response = client.put("/api/v1/me/anti-phishing-code", json={"code": code}, headers=bearer(client))
    assert response.status_code == 400 and response.json["error"]["code"] == "validation_error"
    assert "code" in response.json["error"]["details"]["fields"]
    assert Account.get().anti_phishing_code is None


def test_setting_the_anti_phishing_code_publishes_it_and_me_shows_only_that_it_is_set(client):
    user = register(client)
    headers = bearer(client)
    response = client.put("/api/v1/me/anti-phishing-code", json={"code": "Tiger42"}, headers=headers)
    assert response.status_code == 200 and response.json["user"]["anti_phishing_code_set"] is True
    me = client.get("/api/v1/me", headers=headers).json["user"]
    assert me["anti_phishing_code_set"] is True and "Tiger42" not in json.dumps(me)
    events = [json.loads(row.payload) for row in OutboxMessage.select().order_by(OutboxMessage.id)]
    assert events[-1]["type"] == "user.anti_phishing_code_changed.v1"
    assert events[-1]["data"] == {"user_id": user["id"], "code": "Tiger42"}
    [changed] = audit_rows("anti_phishing_code.changed")
    assert "Tiger42" not in changed.details and changed.actor_id == user["id"]
    removed = client.put("/api/v1/me/anti-phishing-code", json={"code": None}, headers=headers)
    assert removed.status_code == 200 and removed.json["user"]["anti_phishing_code_set"] is False
    last = json.loads(OutboxMessage.select().order_by(OutboxMessage.id.desc()).get().payload)
    assert last["data"] == {"user_id": user["id"], "code": None}


def test_no_secret_or_code_reaches_the_log(client, frozen, caplog):
    caplog.set_level(logging.DEBUG)
    register(client)
    headers = bearer(client)
    offer = client.post("/api/v1/me/mfa/totp", headers=headers).json
    first_code = code_at(offer["secret"])
    codes = client.post("/api/v1/me/mfa/totp/confirm", json={"code": first_code}, headers=headers).json
    client.put("/api/v1/me/anti-phishing-code", json={"code": "Zebra77"}, headers=headers)
    token = start_login(client)
    second_step(client, token, codes["recovery_codes"][0])
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in (offer["secret"], first_code, "Zebra77", token, codes["recovery_codes"][0], PASSWORD):
        assert secret not in logged


def test_ops_reset_2fa_for_a_lost_phone(client, frozen, database_url, monkeypatch, capsys):
    from services.gateway import accounts, cli

    register(client)
    headers = bearer(client)
    enrol(client, headers)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli.main(["reset-2fa", "--email", "ALICE@example.com"]) == 0
    assert "alice@example.com" in capsys.readouterr().out
    accounts._session_cache.clear()  # ops ran it in another process: its few cached seconds are over
    assert client.get("/api/v1/me", headers=headers).status_code == 401  # its sessions are ended
    answer = client.post("/api/v1/auth/login", json={"email": "alice@example.com", "password": PASSWORD})
    assert "access_token" in answer.json and answer.json["user"]["mfa_enabled"] is False
    assert RecoveryCode.select().count() == 0
    [reset] = audit_rows("mfa.reset")
    assert reset.actor_role == "ops" and reset.target_id == str(Account.get().id)
    assert cli.main(["reset-2fa", "--email", "nobody@example.com"]) == 1
