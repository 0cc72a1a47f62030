"""The whole guest flow against the product started like `make run`, its mail going
to this test's own SMTP server: the links and codes come from the emails."""
from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.e2e.harness import create_agent, wait_for
from tests.guest.mailbox import code_in, plain_text, ticket_links
from tests.support import png_bytes

pytestmark = pytest.mark.e2e


class Recorder:
    """A requests session that keeps every response it saw (redirects too), for the leak check."""

    def __init__(self, product, recorded: list):
        self.product = product
        self.session = requests.Session()
        self.session.hooks["response"].append(lambda response, *a, **kw: recorded.append(response))

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 30)
        return self.session.request(method, self.product.url(path), **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)


def new_guest_email() -> str:
    return f"guest-{uuid.uuid4().hex[:10]}@example.com"


def open_ticket_by_email(product, mailbox, http, email, **fields):
    created = http.post("/api/v1/guest/tickets", json={
        "email": email, "subject": "Deposit not credited", "category": "deposit_withdrawal",
        "description": "I deposited 100 USDT an hour ago.", **fields})
    assert created.status_code == 201, created.text
    [alert] = mailbox.wait(email, 1)
    [(number, t)] = ticket_links(alert, product.base_url)
    assert number == created.json()["number"]
    return number, t, alert


def next_code(mailbox, email, count):
    return code_in(mailbox.wait(email, count)[count - 1])


def api_flow(product, mailbox, http) -> dict:
    """Create, verify with a wrong then the right code, read, reply with a PNG; agent replies."""
    email = new_guest_email()
    number, t, alert = open_ticket_by_email(product, mailbox, http, email)
    sent = http.post(f"/api/v1/guest/tickets/{number}/verification-code", json={"t": t})
    assert sent.status_code == 202, sent.text
    code_mail = mailbox.wait(email, 2)[1]
    code = code_in(code_mail)
    wrong = http.post(f"/api/v1/guest/tickets/{number}/session", json={"t": t, "code": f"{(int(code) + 1) % 10**6:06d}"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "invalid_code")
    assert wrong.json()["error"]["details"]["attempts_left"] == 4
    session = http.post(f"/api/v1/guest/tickets/{number}/session", json={"t": t, "code": code})
    assert session.status_code == 200, session.text
    token = session.json()["guest_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    detail = http.get(f"/api/v1/tickets/{number}", headers=bearer)
    assert detail.status_code == 200 and detail.json()["messages"][0]["body"] == "I deposited 100 USDT an hour ago."
    reply = http.post(f"/api/v1/tickets/{number}/messages", headers=bearer, data={"body": "Receipt attached"},
                      files=[("files", ("receipt.png", png_bytes(6, 6), "image/png"))])
    assert reply.status_code == 201, reply.text
    attachment_url = reply.json()["message"]["attachments"][0]["url"]
    assert http.get(attachment_url, headers=bearer).content == png_bytes(6, 6)
    return {"email": email, "number": number, "t": t, "code": code, "bearer": bearer, "alert": alert,
            "code_mail": code_mail}


@pytest.fixture(scope="module")
def recorded() -> list:
    """Every response this module's tests saw, for the leak check at its end."""
    return []


def test_guest_flow_from_the_emails(mail_product, mailbox, recorded):
    http = Recorder(mail_product, recorded)
    flow = api_flow(mail_product, mailbox, http)
    email, number = flow["email"], flow["number"]
    alert, code_mail = flow["alert"], flow["code_mail"]
    assert alert["Auto-Submitted"] == "auto-generated" and number in alert["Subject"]
    assert number in code_mail["Subject"] and flow["code"] in plain_text(code_mail)
    assert not ticket_links(code_mail, mail_product.base_url), "the code email carries no access link"

    agent = create_agent(mail_product)
    queue = agent.get("/api/v1/agent/tickets?status=open").json()["items"]
    assert number in [t["number"] for t in queue]
    history = agent.get(f"/api/v1/agent/tickets/{number}").json()["messages"]
    assert [m["author"]["role"] for m in history if m["kind"] == "reply"] == ["guest", "guest"]
    answered = agent.post(f"/api/v1/agent/tickets/{number}/messages",
                          json={"body": "We found your deposit; it is credited now.", "kind": "reply"})
    assert answered.status_code == 201

    update = mailbox.wait(email, 3)[2]
    assert number in update["Subject"] and update["Auto-Submitted"] == "auto-generated"
    assert "We found your deposit" not in plain_text(update), "alerts carry no reply text"
    [(linked_number, fresh_t)] = ticket_links(update, mail_product.base_url)
    assert linked_number == number and fresh_t != flow["t"], "each update email carries a fresh link"
    page = requests.get(mail_product.url(f"/support/tickets/{number}?t={fresh_t}"), timeout=30)
    assert page.status_code == 200 and 'id="send-code-form"' in page.text
    read = http.get(f"/api/v1/tickets/{number}", headers=flow["bearer"]).json()
    assert read["messages"][-1]["body"] == "We found your deposit; it is credited now."

    # The guest token stays within its ticket.
    other_number, _, _ = open_ticket_by_email(mail_product, mailbox, http, new_guest_email())
    assert http.get(f"/api/v1/tickets/{other_number}", headers=flow["bearer"]).status_code == 404
    assert http.get("/api/v1/tickets", headers=flow["bearer"]).status_code == 403


def page_flow(product, mailbox, http) -> dict:
    """The page without JavaScript: the link, send the code, enter it, read, reply with a PNG."""
    email = new_guest_email()
    number, t, _alert = open_ticket_by_email(product, mailbox, http, email, locale="zh-Hant")
    first = http.get(f"/support/tickets/{number}?t={t}")
    assert first.status_code == 200 and first.headers["Referrer-Policy"] == "no-referrer"
    csrf = http.session.cookies["csrf_token"]
    assert http.post(f"/support/tickets/{number}?t={t}",
                     data={"step": "send_code", "csrf_token": csrf}).status_code == 200
    code = next_code(mailbox, email, 2)
    opened = http.post(f"/support/tickets/{number}?t={t}", data={"step": "verify", "code": code, "csrf_token": csrf})
    assert opened.status_code == 200 and opened.url == product.url(f"/support/tickets/{number}")
    assert 'lang="zh-Hant"' in opened.text and "I deposited 100 USDT" in opened.text
    replied = http.post(f"/support/tickets/{number}/reply",
                        data={"body": "Photo of the receipt", "csrf_token": http.session.cookies["csrf_token"]},
                        files=[("files", ("photo.png", png_bytes(7, 7), "image/png"))])
    assert replied.status_code == 200 and "Photo of the receipt" in replied.text
    return {"number": number, "t": t, "code": code}


def test_no_code_or_link_token_in_any_response_or_log(mail_product, mailbox, recorded):
    """Runs last: every code and link token emailed so far (the browser's too) against every
    response of this module and the product's whole log."""
    if not recorded:  # run alone: make the API flow's traffic first
        api_flow(mail_product, mailbox, Recorder(mail_product, recorded))
    page_flow(mail_product, mailbox, Recorder(mail_product, recorded))
    secrets: set[str] = set()
    for message in list(mailbox.messages):
        text = plain_text(message)
        secrets.update(t for _number, t in ticket_links(message, mail_product.base_url))
        if "code" in message["Subject"].lower() or "驗證碼" in message["Subject"] or "código" in message["Subject"]:
            secrets.add(code_in(message))
        assert text  # every alert has its plain-text part
    assert len(secrets) >= 4
    logs = wait_for(lambda: mail_product.logs() or None, message="the product's log")
    assert '"level"' in logs  # JSON lines
    for secret in secrets:
        assert secret not in logs, "a code or a link token reached the log"
    assert len(recorded) >= 14 and [r.status_code for r in recorded].count(303) == 2  # redirects are kept too
    for response in recorded:
        exposed = response.content.decode("utf-8", "replace") + "\n" + "\n".join(
            f"{name}: {value}" for name, value in response.headers.items())
        for secret in secrets:
            assert secret not in exposed, f"{response.request.method} {response.url} exposed a secret"
        assert not re.search(r"[?&]t=", response.headers.get("Location", ""))
