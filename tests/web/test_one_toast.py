"""One toast per action, on every page: the answer to what the person did is said once, and
the notifications arriving on the live stream meanwhile (what the action caused, or anything
else in those seconds) only count on the bell."""
from __future__ import annotations

import pytest

from tests.web import data

pytestmark = pytest.mark.e2e

# Counts every toast put up from now on (one that faded already was still counted).
COUNT_TOASTS = """
window.__toastsShown = 0;
new MutationObserver((records) => records.forEach((r) => { window.__toastsShown += r.addedNodes.length; }))
  .observe(document.getElementById('toasts'), { childList: true });
"""


def toasts_shown(browser) -> int:
    return browser.driver.execute_script("return window.__toastsShown")


def live(browser) -> None:
    browser.wait(20).until(lambda d: d.execute_script("return document.body.dataset.live") == "open")


def bell_counts(browser) -> None:
    browser.wait(20).until(lambda d: int(browser.find("#bell-count").get_attribute("data-count")) > 0)


def test_a_reply_says_so_once_and_the_news_meanwhile_counts_on_the_bell(browser, product, support_agent):
    customer = data.customer(product)
    number = data.ticket(customer, subject="Deposit missing", category="deposit_withdrawal")["number"]
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open(f"/support/tickets/{number}")
    browser.wait_text("#ticket-subject", "Deposit missing")
    live(browser)
    browser.driver.execute_script(COUNT_TOASTS)
    browser.type("#reply-body", "The TXID is in the first message.")
    browser.click("#send-reply")
    browser.wait_toast("Your reply was sent.")
    data.agent_message(support_agent, number, "Thanks, we are checking it.")
    browser.wait_text("#history", "Thanks, we are checking it.", timeout=20)
    bell_counts(browser)
    assert toasts_shown(browser) == 1
    assert not browser.exists("#reply-sent")  # no second, in-page "sent" beside the toast


def test_a_new_ticket_says_so_once_on_its_page(browser, product, support_agent):
    customer = data.customer(product)
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open("/support/tickets/new")
    browser.choose("#category", "wallet")
    browser.type("#subject", "Withdrawal stuck")
    browser.type("#description", "My ETH withdrawal has been pending for a day.")
    browser.click("#submit-ticket")
    browser.wait().until(lambda d: "/support/tickets/" in d.current_url and "/new" not in d.current_url)
    number = browser.driver.current_url.rstrip("/").split("/")[-1].split("?")[0]
    assert "submitted" in browser.wait_toast(number)
    browser.driver.execute_script(COUNT_TOASTS)
    assert browser.find("#created-notice").get_attribute("hidden") is not None  # no similar tickets, no second notice
    live(browser)
    data.agent_message(support_agent, number, "We are on it.")
    browser.wait_text("#history", "We are on it.", timeout=20)
    bell_counts(browser)
    assert toasts_shown(browser) == 0
    # The next page of the tab says nothing of it again.
    browser.open("/support/tickets")
    browser.wait().until(lambda d: d.execute_script("return document.readyState") == "complete")
    assert not [text for text in browser.toasts() if number in text]
