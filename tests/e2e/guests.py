"""A guest of the started product, the way a person without an account gets in: the ticket's emailed link,
the code sent to that address, then the guest session's token."""
from __future__ import annotations

import uuid

import requests

from tests.e2e.harness import Client, RunningProduct
from tests.guest.mailbox import Mailbox, code_in, ticket_links


def guest_session(product: RunningProduct, mailbox: Mailbox, subject: str = "Wallet frozen",
                  category: str = "wallet", description: str = "Frozen since Monday.") -> tuple[Client, str, str]:
    """A new guest ticket and its verified guest: (the guest's client, the ticket's number, the email)."""
    email = f"guest-{uuid.uuid4().hex[:10]}@example.com"
    created = requests.post(product.url("/api/v1/guest/tickets"), timeout=30, json={
        "email": email, "subject": subject, "category": category, "description": description})
    assert created.status_code == 201, created.text
    [(number, t)] = ticket_links(mailbox.wait(email, 1)[0], product.base_url)
    assert requests.post(product.url(f"/api/v1/guest/tickets/{number}/verification-code"), json={"t": t},
                         timeout=30).status_code == 202
    session = requests.post(product.url(f"/api/v1/guest/tickets/{number}/session"), timeout=30,
                            json={"t": t, "code": code_in(mailbox.wait(email, 2)[1])})
    assert session.status_code == 200, session.text
    return Client(product, session.json()["guest_token"]), number, email
