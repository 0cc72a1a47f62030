"""Two-factor sign-in and the anti-phishing code through the gateway of a product started
like `make run`: agents held back until they enrol (bearer and cookie), the two-step login,
recovery codes, five wrong codes, a customer opting in, the anti-phishing code, the audit
rows, and no secret in the log."""
from __future__ import annotations

import json
import sqlite3
import uuid

import pytest
import requests

from tests.e2e.harness import Client, create_agent, enrol_totp, login, register_and_login, wait_for

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse 1"


def gateway_rows(product, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(product.data_dir / "gateway.db") as conn:
        return conn.execute(sql, params).fetchall()


def audit_rows(product, action: str, email: str) -> list[dict]:
    rows = gateway_rows(product, "SELECT actor_id, actor_email, details FROM audit_event "
                                 "WHERE action = ? AND actor_email = ? ORDER BY id", action, email)
    return [{"actor_id": r[0], "actor_email": r[1], "details": json.loads(r[2])} for r in rows]


def password_step(product, email: str, password: str = PASSWORD) -> requests.Response:
    answer = requests.post(product.url("/api/v1/auth/login"), json={"email": email, "password": password},
                           timeout=30)
    assert answer.status_code == 200, answer.text
    return answer


def second_step(product, token: str, code: str) -> requests.Response:
    return requests.post(product.url("/api/v1/auth/login/mfa"), json={"mfa_token": token, "code": code},
                         timeout=30)


def cookie_session(product, email: str, password: str) -> requests.Session:
    """A browser-like session: the cookies of a password-only login, CSRF header ready."""
    browser = requests.Session()
    answer = browser.post(product.url("/api/v1/auth/login"), json={"email": email, "password": password},
                          timeout=30)
    assert answer.status_code == 200 and "access_token" in answer.json(), answer.text
    browser.headers["X-CSRF-Token"] = browser.cookies["csrf_token"]
    return browser


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


def open_ticket(customer: Client) -> str:
    created = customer.post("/api/v1/tickets", json={"subject": "Withdrawal stuck", "category": "wallet",
                                                     "description": "Pending for a day."})
    assert created.status_code == 201, created.text
    return created.json()["ticket"]["number"]


def test_an_agent_reads_no_ticket_before_enrolling(product):
    number = open_ticket(register_and_login(product))
    agent = create_agent(product, enrol_2fa=False, password="agent password 1")
    browser = cookie_session(product, agent.email, "agent password 1")
    for caller, label in ((agent, "bearer"), (browser, "cookie")):
        for path in (f"/api/v1/agent/tickets/{number}", "/api/v1/agent/tickets?status=open"):
            refused = caller.get(product.url(path) if label == "cookie" else path, timeout=30)
            assert refused.status_code == 403, (label, path, refused.text)
            assert refused.json()["error"]["code"] == "mfa_enrollment_required"
    # Nor through the paths customers use: an attachment, the video calls.
    attachment = register_and_login(product).post(
        "/api/v1/tickets", data={"subject": "Screenshot", "category": "wallet", "description": "See the file."},
        files={"files": ("shot.png", PNG, "image/png")})
    assert attachment.status_code == 201, attachment.text
    file_url = attachment.json()["ticket"]["messages"][0]["attachments"][0]["url"]
    for path in (file_url, "/api/v1/video-calls"):
        refused = agent.get(path)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "mfa_enrollment_required", path
    note = browser.post(product.url(f"/api/v1/agent/tickets/{number}/messages"), json={"body": "x", "kind": "note"})
    assert note.status_code == 403 and note.json()["error"]["code"] == "mfa_enrollment_required"
    me = agent.get("/api/v1/me").json()["user"]
    assert me["role"] == "agent" and me["mfa_enabled"] is False
    # The console sends the agent to enrol first.
    page = browser.get(product.url("/agent"), allow_redirects=False)
    assert page.status_code == 303 and page.headers["Location"].endswith("/account/security")
    assert browser.get(product.url("/account/security")).status_code == 200

    enrol_totp(agent)  # through the public API: this session has passed the second factor now
    assert agent.get(f"/api/v1/agent/tickets/{number}").status_code == 200
    # The browser's session never passed it: it logs in again, with the second step.
    assert browser.get(product.url(f"/api/v1/agent/tickets/{number}")).status_code == 403
    again = login(product, agent.email, "agent password 1")
    assert again.get(f"/api/v1/agent/tickets/{number}").json()["number"] == number
    off = agent.request("DELETE", "/api/v1/me/mfa/totp", json={"code": agent.mfa.recovery_codes[0]})
    assert off.status_code == 403 and off.json()["error"]["code"] == "mfa_required_for_staff"


def test_a_customer_opts_in_and_logs_in_in_two_steps_with_a_recovery_code_once(product):
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    customer = register_and_login(product, email)
    assert customer.user["mfa_enabled"] is False
    offer = customer.post("/api/v1/me/mfa/totp").json()
    assert offer["otpauth_uri"].startswith("otpauth://totp/") and offer["qr_svg"].lstrip().startswith("<svg")
    keys = enrol_totp(customer)  # a second offer replaces the first; its secret is the one kept
    assert len(keys.recovery_codes) == 10
    assert customer.get("/api/v1/me").json()["user"]["mfa_enabled"] is True

    first = password_step(product, email)
    assert first.json()["mfa_required"] is True and 0 < first.json()["expires_in"] <= 300
    assert "access_token" not in first.json() and not first.cookies
    recovery = keys.recovery_codes[0]
    answer = second_step(product, first.json()["mfa_token"], recovery)
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "Bearer" and answer.json()["user"]["email"] == email
    assert answer.cookies.get("session") and answer.cookies.get("csrf_token")
    assert Client(product, answer.json()["access_token"]).get("/api/v1/me").status_code == 200
    # Spent: neither the token nor the recovery code works again.
    assert second_step(product, first.json()["mfa_token"], keys.next_code()).status_code == 401
    reused = second_step(product, password_step(product, email).json()["mfa_token"], recovery)
    assert reused.status_code == 400 and reused.json()["error"]["code"] == "invalid_code"
    assert reused.json()["error"]["details"]["attempts_left"] == 4
    # A current TOTP code works; the same code a second time does not (replay).
    code = keys.next_code()
    assert second_step(product, password_step(product, email).json()["mfa_token"], code).status_code == 200
    replay = second_step(product, password_step(product, email).json()["mfa_token"], code)
    assert replay.status_code == 400 and replay.json()["error"]["code"] == "invalid_code"

    logins = audit_rows(product, "auth.login", email)
    assert [row["details"].get("mfa") for row in logins] == [False, True, True]
    assert logins[1]["details"]["method"] == "recovery_code" and logins[1]["actor_id"] == customer.user["id"]


def test_five_wrong_codes_end_the_mfa_token(product):
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    keys = enrol_totp(register_and_login(product, email))
    token = password_step(product, email).json()["mfa_token"]
    lefts = []
    for _ in range(5):
        wrong = second_step(product, token, "abcde-fghjk")
        assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_code"
        lefts.append(wrong.json()["error"]["details"]["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    right = keys.next_code()
    ended = second_step(product, token, right)
    assert ended.status_code == 401 and ended.json()["error"]["code"] == "mfa_token_expired"
    assert second_step(product, "no-such-token", right).json()["error"]["code"] == "invalid_mfa_token"
    failed = audit_rows(product, "auth.mfa_failed", email)
    assert len(failed) == 5 and failed[0]["actor_id"] is not None
    assert [row["details"]["attempts_left"] for row in failed] == [4, 3, 2, 1, 0]
    # A new login starts over, and the right code, refused above with the ended token, was not spent.
    again = second_step(product, password_step(product, email).json()["mfa_token"], right)
    assert again.status_code == 200, again.text


def test_a_failed_login_is_audited_with_the_typed_email_and_no_password(product):
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    register_and_login(product, email)
    typed = "  " + email.upper() + " "
    refused = requests.post(product.url("/api/v1/auth/login"), json={"email": typed, "password": "not it at all"},
                            timeout=30)
    assert refused.status_code == 401
    [failed] = audit_rows(product, "auth.login_failed", email)
    assert failed["actor_id"] is None and "not it at all" not in json.dumps(failed)


@pytest.mark.parametrize("code", ["abc", "x" * 21, "two words", "<img src=x>", "パスワード", 12345])
def test_the_anti_phishing_code_is_validated(product, code):
    customer = register_and_login(product)
    refused = customer.put("/api/v1/me/anti-phishing-code", json={"code": code})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "validation_error"
    assert customer.get("/api/v1/me").json()["user"]["anti_phishing_code_set"] is False


def test_the_anti_phishing_code_is_set_published_then_blanked_and_never_logged(product):
    customer = register_and_login(product)
    code = "Falcon" + uuid.uuid4().hex[:8]
    saved = customer.put("/api/v1/me/anti-phishing-code", json={"code": code})
    assert saved.status_code == 200, saved.text
    me = customer.get("/api/v1/me").json()["user"]
    assert me["anti_phishing_code_set"] is True and code not in json.dumps(me)

    def published_and_blanked():
        rows = gateway_rows(product, "SELECT payload, sent_at FROM outbox WHERE event_type = ?",
                            "user.anti_phishing_code_changed.v1")
        return rows and all(sent and code not in payload for payload, sent in rows)
    wait_for(published_and_blanked, timeout=15, message="the event published and its row blanked")
    [changed] = audit_rows(product, "anti_phishing_code.changed", customer.email)
    assert changed["details"] == {"set": True}
    assert customer.put("/api/v1/me/anti-phishing-code", json={"code": ""}).json()["user"][
        "anti_phishing_code_set"] is False
    assert code not in product.logs()


def test_no_totp_secret_or_code_reaches_the_log_or_is_stored_in_the_clear(product):
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    customer = register_and_login(product, email)
    keys = enrol_totp(customer)
    login(product, email, PASSWORD)
    [(sealed, pending)] = gateway_rows(product, "SELECT totp_secret, totp_pending_secret FROM account WHERE email = ?",
                                       email)
    assert pending is None and sealed and keys.secret not in sealed
    hashes = {row[0] for row in gateway_rows(product, "SELECT code_hash FROM recovery_code WHERE account_id = ?",
                                             customer.user["id"])}
    assert len(hashes) == 10 and not hashes & {c.replace("-", "") for c in keys.recovery_codes}
    logs = product.logs()
    for secret in (keys.secret, *keys.recovery_codes, PASSWORD):
        assert secret not in logs
