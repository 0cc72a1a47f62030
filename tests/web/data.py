"""Setting up data through the public API, as other clients would, before a person acts."""
from __future__ import annotations

import datetime as dt
import uuid

import requests

from tests.e2e.harness import Client, login, wait_for
from tests.guest.mailbox import code_in, ticket_links

PASSWORD = "correct horse 1"


def email(prefix: str = "web") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def customer(product, address: str | None = None, **fields) -> Client:
    """A registered, logged-in customer (its `email` and `password` kept on the client)."""
    address = address or email()
    answer = requests.post(product.url("/api/v1/auth/register"),
                           json={"email": address, "password": PASSWORD, **fields}, timeout=30)
    assert answer.status_code == 201, answer.text
    client = login(product, address, PASSWORD)
    client.password = PASSWORD
    return client


def ticket(client: Client, **fields) -> dict:
    body = {"subject": "Withdrawal pending", "category": "wallet",
            "description": "My BTC withdrawal has been pending since yesterday.", **fields}
    answer = client.post("/api/v1/tickets", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["ticket"]


def agent_message(agent: Client, number: str, body: str, kind: str = "reply") -> dict:
    answer = agent.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": body, "kind": kind})
    assert answer.status_code == 201, answer.text
    return answer.json()["message"]


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def propose(agent: Client, number: str, *starts: dt.datetime, minutes: int = 30) -> dict:
    slots = [{"start": iso(start), "end": iso(start + dt.timedelta(minutes=minutes))} for start in starts]
    answer = agent.post(f"/api/v1/agent/tickets/{number}/video-calls", json={"slots": slots})
    assert answer.status_code == 201, answer.text
    return answer.json()["call"]


def eligible_referral(client: Client) -> dict:
    """The customer's referral data once the registration event reached the referrals service."""
    return wait_for(lambda: (lambda me: me if me["eligible"] else None)(client.get("/api/v1/referrals/me").json()),
                    timeout=20, message="referral code")


def verified_guest(browser, product, mailbox, subject: str, category: str = "wallet",
                   description: str = "Where is my deposit?") -> str:
    """A guest ticket opened through its emailed link and the code, in this browser; its number."""
    address = email("guest")
    created = requests.post(product.url("/api/v1/guest/tickets"), timeout=30, json={
        "email": address, "subject": subject, "category": category, "description": description})
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    [(linked, token)] = ticket_links(mailbox.wait(address, 1)[0], product.base_url)
    assert linked == number
    browser.open(f"/support/tickets/{number}?t={token}")
    browser.click("#send-code")
    browser.visible("#notice")
    browser.type("#code", code_in(mailbox.wait(address, 2)[1]))
    browser.click("#verify")
    browser.visible("#history")
    return number
