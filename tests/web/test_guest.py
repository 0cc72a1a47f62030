"""A guest in the browser: a ticket without an account, then the emailed link's page (the
guest-ticket issue's page at /support/tickets/{number}?t=...) with the code step."""
from __future__ import annotations

import pytest

from tests.guest.mailbox import code_in, ticket_links
from tests.support import png_bytes
from tests.web import data

pytestmark = pytest.mark.e2e


def test_guest_ticket_then_the_emailed_link(browser, product, web_mailbox, tmp_path):
    address = data.email("guest")
    browser.open("/support")
    browser.click("#guest-ticket-link")
    browser.wait_text("h1", "Submit a ticket without an account")
    browser.type("#email", address)
    browser.choose("#category", "wallet")
    browser.type("#subject", "Withdrawal pending")
    browser.type("#description", "My ETH withdrawal is pending since this morning.")
    picture = tmp_path / "wallet.png"
    picture.write_bytes(png_bytes(6, 6))
    browser.find("#ticket-files").send_keys(str(picture))
    browser.visible("#ticket-previews img")
    browser.screenshot("guest-new-ticket")
    browser.click("#submit-ticket")
    done = browser.visible("#ticket-done").text
    assert address in done

    [(number, token)] = ticket_links(web_mailbox.wait(address, 1)[0], product.base_url)
    assert number in done
    browser.open(f"/support/tickets/{number}?t={token}")
    browser.click("#send-code")
    browser.visible("#notice")
    browser.type("#code", code_in(web_mailbox.wait(address, 2)[1]))
    browser.click("#verify")
    history = browser.visible("#history").text
    assert "My ETH withdrawal is pending since this morning." in history and "wallet.png" in history
    browser.screenshot("guest-ticket")

    # The guest page shares the site's language switch, and the choice holds on the other pages.
    browser.choose("#lang-switch", "es")
    browser.wait_text("h1", f"Tu ticket de soporte {number}")
    assert browser.exists("#history")
    browser.click(".brand")
    browser.wait_text("h1", "Centro de soporte")


def test_a_logged_in_customer_opening_a_ticket_link_gets_the_account_page(browser, product):
    customer = data.customer(product)
    number = data.ticket(customer, subject="Link from the email")["number"]
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open(f"/support/tickets/{number}")  # the link in every ticket email and notification
    browser.wait_text("#ticket-subject", "Link from the email")
    assert browser.exists("#reply-form") and not browser.exists("#send-code")


def test_the_guest_page_is_the_sites_own_and_follows_the_ticket_live(browser, product, web_mailbox,
                                                                      support_agent, tmp_path):
    number = data.verified_guest(browser, product, web_mailbox, "Deposit missing")
    # The main front end's header, status badge and attachment picker, not a second bare page.
    assert browser.exists("header.topbar .brand") and browser.exists("#status.status-badge.open")
    assert browser.exists("[data-dropzone=guest] #files")
    # Dates in the page language's own format, in the reader's zone: no ISO text, no "UTC" left.
    when = browser.text_of("#history time")
    assert when and "T" not in when.replace("PM", "").replace("AM", "") and "UTC" not in when
    browser.mark_page()
    data.agent_message(support_agent, number, "We found your deposit.")
    browser.wait_text("#history", "We found your deposit.", timeout=20)
    assert browser.not_reloaded(), "the reply arrived without a reload"

    picture = tmp_path / "receipt.png"
    picture.write_bytes(png_bytes(6, 6))
    browser.find("#files").send_keys(str(picture))
    browser.visible("#guest-previews img")
    browser.type("#body", "Thanks, here is the receipt.")
    browser.click("#send-reply")
    browser.wait_toast("Your reply was sent.")
    browser.wait_text("#history", "Thanks, here is the receipt.")  # the toast comes first, then the page loads again
    assert browser.not_reloaded()
    assert browser.exists("#history a[download='receipt.png']")
    assert not browser.console_errors()


def test_an_empty_guest_reply_is_explained_in_view_with_the_focus_on_the_field(browser, product, web_mailbox):
    data.verified_guest(browser, product, web_mailbox, "Empty reply")
    browser.driver.set_window_size(390, 844)
    browser.click("#send-reply")
    browser.visible("#reply-error")
    assert browser.driver.execute_script("return document.activeElement.id") == "body"
    top = browser.driver.execute_script("return document.getElementById('reply-error').getBoundingClientRect().top")
    assert 0 <= top <= 844
