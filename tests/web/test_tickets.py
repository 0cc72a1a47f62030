"""A customer's tickets in the browser: the new-ticket form with attachments and its
limits, the duplicate refused with a link, "My tickets" by status, the ticket page with
its history, a reply with a file, and escalation."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.harness import wait_for
from tests.support import pdf_bytes, png_bytes
from tests.web import data

pytestmark = pytest.mark.e2e
MIB = 1024 * 1024


def test_new_ticket_with_attachments_then_the_duplicate_is_refused(browser, product, tmp_path):
    customer = data.customer(product)
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open("/support")
    browser.click("#new-ticket-link")
    limits = browser.visible("#ticket-limits").text
    assert "PNG, JPEG, PDF" in limits and "10 MB" in limits and "5 files" in limits  # shown before any upload

    browser.choose("#category", "deposit_withdrawal")
    browser.type("#subject", "Deposit not credited")
    browser.type("#description", "My USDT deposit has not arrived after two hours.")
    browser.type("#txid", "0xabc123def4567890")
    browser.type("#order_id", "ORD-778899")
    happened = (dt.datetime.now() - dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    browser.set_datetime("#occurred_at", happened.strftime("%Y-%m-%dT%H:%M"))

    screenshot = tmp_path / "deposit.png"
    screenshot.write_bytes(png_bytes(40, 30))
    browser.find("#ticket-files").send_keys(str(screenshot))
    preview = browser.visible("#ticket-previews img.thumb")
    assert preview.get_attribute("src").startswith("blob:")
    browser.drop_files("#ticket-drop", [("statement.pdf", "application/pdf", pdf_bytes())])
    browser.wait().until(lambda d: browser.count("#ticket-previews li") == 2)

    browser.drop_blank_file("#ticket-drop", "huge.png", "image/png", 10 * MIB + 1)
    assert "huge.png" in browser.visible("#ticket-file-error").text
    assert "10 MB" in browser.text_of("#ticket-file-error")
    browser.drop_files("#ticket-drop", [("notes.exe", "application/x-msdownload", b"MZ...")])
    assert "notes.exe" in browser.visible("#ticket-file-error").text
    assert browser.count("#ticket-previews li") == 2  # neither was taken
    browser.drop_files("#ticket-drop", [(f"note{i}.txt", "text/plain", b"details") for i in range(4)])
    assert "At most 5 files" in browser.visible("#ticket-file-error").text
    assert browser.count("#ticket-previews li") == 5
    for i in range(3):
        browser.click(f"button[aria-label='Remove note{i}.txt']")
    browser.wait().until(lambda d: browser.count("#ticket-previews li") == 2)
    browser.screenshot("new-ticket")

    browser.click("#submit-ticket")
    browser.wait().until(lambda d: "/support/tickets/" in d.current_url and "/new" not in d.current_url)
    number = browser.driver.current_url.rstrip("/").split("/")[-1].split("?")[0]
    assert "submitted" in browser.wait_toast(number)
    history = browser.wait_text("#history", "My USDT deposit has not arrived after two hours.")
    assert "deposit.png" in history and "statement.pdf" in history
    assert browser.text_of("#fact-txid") == "0xabc123def4567890"
    stored = customer.get(f"/api/v1/tickets/{number}").json()
    assert (stored["txid"], stored["order_id"], stored["category"]) == ("0xabc123def4567890", "ORD-778899",
                                                                        "deposit_withdrawal")
    assert stored["occurred_at"] is not None
    assert sorted(a["filename"] for a in stored["messages"][0]["attachments"]) == ["deposit.png", "statement.pdf"]
    browser.screenshot("ticket")

    # The same TXID again: refused, with the way to the ticket that is still open.
    browser.open("/support/tickets/new")
    browser.choose("#category", "deposit_withdrawal")
    browser.type("#subject", "Deposit still missing")
    browser.type("#description", "Same deposit.")
    browser.type("#txid", "0xabc123def4567890")
    browser.click("#submit-ticket")
    assert number in browser.visible("#form-error").text
    browser.click("#duplicate-link")
    browser.wait().until(lambda d: d.current_url.endswith(f"/support/tickets/{number}"))
    assert len(customer.get("/api/v1/tickets").json()["items"]) == 1


def test_my_tickets_open_and_closed_filtered_by_status(browser, product, support_agent):
    customer = data.customer(product)
    waiting = data.ticket(customer, subject="Two-factor reset", category="account_security")
    solved = data.ticket(customer, subject="Fee question", category="trading_fees_limits")
    data.agent_message(support_agent, waiting["number"], "Please send a photo of your ID.", kind="info_request")
    assert support_agent.post(f"/api/v1/agent/tickets/{solved['number']}/resolve").status_code == 200

    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open("/support/tickets")
    browser.wait().until(lambda d: browser.count("#ticket-list li") == 2)
    browser.screenshot("my-tickets")
    browser.choose("#status-filter", "resolved")
    browser.wait().until(lambda d: browser.attrs("#ticket-list li", "data-number") == [solved["number"]])
    browser.choose("#status-filter", "awaiting_user")
    browser.wait().until(lambda d: browser.attrs("#ticket-list li", "data-number") == [waiting["number"]])
    browser.choose("#status-filter", "closed")
    browser.visible("#list-empty")
    # The support page lists what waits for the customer under active items.
    browser.open("/support")
    assert browser.wait_text("#awaiting-tickets", "Two-factor reset")


def test_reply_with_a_file_after_a_request_for_details_then_escalate(browser, product, support_agent, tmp_path):
    customer = data.customer(product)
    number = data.ticket(customer, subject="Card reported stolen", category="account_security")["number"]
    data.agent_message(support_agent, number, "Please send a photo of the card.", kind="info_request")

    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open(f"/support/tickets/{number}")
    browser.wait_text("#history", "Please send a photo of the card.")
    assert browser.find("#ticket-status").get_attribute("data-status") == "awaiting_user"
    assert "Support asked for details" in browser.text_of("#history")
    photo = tmp_path / "card.png"
    photo.write_bytes(png_bytes(12, 8))
    browser.type("#reply-body", "Here is the card.")
    browser.find("#reply-files").send_keys(str(photo))
    browser.visible("#reply-previews img")
    browser.click("#send-reply")
    browser.wait_toast("Your reply was sent.")
    browser.wait_text("#history", "Here is the card.")
    assert browser.find("#ticket-status").get_attribute("data-status") == "open"
    assert browser.count("#reply-previews li") == 0
    link = browser.find("#history a[download='card.png']")
    assert support_agent.get(link.get_attribute("href").replace(product.base_url, "")).content == png_bytes(12, 8)

    browser.type("#escalate-reason", "Nobody has looked at the card for two days.")
    browser.click("#escalate-submit")
    assert "Senior support team" in browser.visible("#escalation-state").text
    assert browser.find("#escalate-section").is_displayed() is False
    escalation = wait_for(lambda: support_agent.get(f"/api/v1/agent/tickets/{number}").status_code == 404,
                          message="the ticket left the standard queue")
    assert escalation


def test_a_reply_reopens_a_ticket_resolved_while_the_page_was_open(browser, product, support_agent):
    customer = data.customer(product)
    number = data.ticket(customer)["number"]
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open(f"/support/tickets/{number}")
    browser.visible("#reply-form")
    # Support resolves it meanwhile; the customer's reply within the 14 days opens it again.
    assert support_agent.post(f"/api/v1/agent/tickets/{number}/resolve").status_code == 200
    browser.wait().until(lambda d: browser.find("#ticket-status").get_attribute("data-status") == "resolved")
    browser.type("#reply-body", "Not solved yet, sorry.")
    browser.click("#send-reply")
    browser.wait_text("#history", "Not solved yet, sorry.")
    assert browser.find("#ticket-status").get_attribute("data-status") == "open"  # a reply reopens it
