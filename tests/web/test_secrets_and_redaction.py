"""Wallet secrets and redaction in the browser: the new-ticket form explains why a recovery
phrase is refused (in the page's language) and keeps nothing; an agent redacts a message
from the ticket page, asked for a reason."""
from __future__ import annotations

import pytest

from tests.support import png_bytes
from tests.web import data

pytestmark = pytest.mark.e2e
AGENT_PASSWORD = "agent password 1"
PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"


@pytest.mark.parametrize("lang, expected", [("en", "recovery phrase"), ("es", "frase de recuperación"),
                                            ("zh-Hant", "助記詞")])
def test_a_recovery_phrase_in_a_new_ticket_is_explained_and_nothing_is_sent(browser, product, lang, expected):
    customer = data.customer(product)
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open(f"/support/tickets/new?lang={lang}")
    browser.choose("#category", "wallet")
    browser.type("#subject", "Wallet restore")
    browser.type("#description", f"These are my words: {PHRASE}")
    browser.click("#submit-ticket")
    error = browser.visible("#form-error").text
    assert expected in error
    assert browser.attrs("#description", "aria-invalid") == ["true"]
    assert "/support/tickets/new" in browser.driver.current_url
    assert customer.get("/api/v1/tickets").json()["items"] == []


def test_an_agent_redacts_a_message_from_the_ticket_page(browser, product, support_agent):
    customer = data.customer(product)
    number = data.ticket(customer)["number"]
    sent = customer.post(f"/api/v1/tickets/{number}/messages", data={"body": "My card is 4111 1111 1111 1111"},
                         files=[("files", ("card.png", png_bytes(4, 4), "image/png"))])
    assert sent.status_code == 201, sent.text
    message = sent.json()["message"]

    browser.log_in_as(support_agent.email, AGENT_PASSWORD)
    browser.open(f"/agent/tickets/{number}")
    browser.wait_text(f"#message-{message['id']}", "4111 1111 1111 1111")
    browser.click(f"#redact-{message['id']}")
    browser.click("#redact-confirm")  # no reason yet: asked for one, nothing sent
    assert "why" in browser.visible("#redact-error").text.lower()
    assert "4111" in customer.get(f"/api/v1/tickets/{number}").text
    browser.type("#redact-reason", "Card number")
    browser.click("#redact-confirm")
    browser.wait_toast("redacted")
    shown = browser.wait_text(f"#message-{message['id']}", "removed by support")
    assert "4111" not in shown and "card.png" not in shown and "Card number" in shown
    assert not browser.exists(f"#redact-{message['id']}")
    browser.screenshot("agent-redaction")

    seen = customer.get(f"/api/v1/tickets/{number}").json()
    mine = next(m for m in seen["messages"] if m["id"] == message["id"])
    assert (mine["body"], mine["attachments"]) == ("[redacted]", [])
    assert customer.get(message["attachments"][0]["url"]).status_code == 404
