"""Registering from a referral link, logging out and in again, and getting help without
an account: the help-center search, an article, the live chat."""
from __future__ import annotations

import pytest

from tests.e2e.harness import wait_for
from tests.web import data

pytestmark = pytest.mark.e2e


def test_register_with_a_referral_link_then_log_out_and_in(browser, product):
    inviter = data.customer(product)
    code = data.eligible_referral(inviter)["code"]
    address = data.email("invitee")

    browser.open(f"/register?ref={code}")
    assert code in browser.text_of("#referral-notice")
    assert browser.find("#referral_code").get_attribute("value") == code
    browser.screenshot("register")
    browser.type("#email", address)
    browser.type("#password", "short")
    browser.click("#register-submit")
    assert browser.visible("#password-error").text  # checked before anything is sent
    browser.type("#password", data.PASSWORD)
    browser.type("#email", inviter.email)
    browser.click("#register-submit")
    assert browser.visible("#form-error").text == "An account with this email address already exists."
    assert not browser.find("#email-error").is_displayed()
    browser.type("#email", address)
    browser.click("#register-submit")

    browser.wait().until(lambda d: d.current_url.endswith("/support"))
    assert browser.wait_text(".account-email", address)
    invited = wait_for(lambda: inviter.get("/api/v1/referrals/me").json()["invitees"] == 1, timeout=20,
                       message="the invitee counted for the inviter")
    assert invited

    browser.click(".account summary")
    browser.click("#logout")
    browser.wait().until(lambda d: d.current_url.endswith("/login"))
    browser.open("/support/tickets")  # a page for customers sends a visitor to the login page
    assert "/login?next=/support/tickets" in browser.driver.current_url
    browser.screenshot("login")
    browser.type("#email", address)
    browser.type("#password", "not the password")
    browser.click("#login-submit")
    assert browser.visible("#form-error").text == "The email or password is not right."
    browser.type("#password", data.PASSWORD)
    browser.click("#login-submit")
    browser.wait().until(lambda d: d.current_url.endswith("/support/tickets"))
    browser.wait_text("h1", "My tickets")


def test_the_login_form_works_with_the_keyboard_alone(browser, product):
    customer = data.customer(product)
    from selenium.webdriver.common.keys import Keys

    browser.open("/login")
    browser.find("#email").click()
    active = browser.driver.switch_to.active_element
    active.send_keys(customer.email, Keys.TAB)
    assert browser.driver.switch_to.active_element.get_attribute("id") == "password"
    browser.driver.switch_to.active_element.send_keys(data.PASSWORD, Keys.ENTER)
    browser.wait().until(lambda d: d.current_url.endswith("/support"))


def test_help_center_search_and_article_without_an_account(browser, product):
    browser.open("/support")
    assert browser.find("#join-appointment-link").text == "Join video call appointment"
    browser.type("#help-q", "withdrawal pending")
    browser.click("#help-search-button")
    first = browser.visible("#help-result-list li a")
    title = first.text
    assert title
    browser.screenshot("support-logged-out")
    first.click()
    browser.wait_text("#article-title", title)
    assert browser.find("#article-body").text.strip()
    browser.screenshot("help-article")

    browser.open("/support")
    browser.type("#help-q", "qqqzzzxxyy")
    browser.click("#help-search-button")
    assert browser.visible("#help-no-results").text


def test_live_chat_with_the_assistant_then_an_agent(browser, product, support_agent):
    address = data.email("chat")
    browser.open("/support")
    browser.click("#chat-open")
    browser.visible("#chat-panel")
    browser.type("#chat-email", address)
    browser.type("#chat-input", "How long does a withdrawal take?")
    browser.click("#chat-send")
    browser.wait().until(lambda d: browser.count("#chat-log li") >= 2)
    assert browser.find_all("#chat-log li.bot")  # the assistant answered
    browser.screenshot("live-chat")
    browser.click("#chat-handover")
    state = browser.wait_text("#chat-state", "ticket")
    number = state.split("ticket ")[1].split(".")[0].split(")")[0]
    queue = support_agent.get(f"/api/v1/agent/tickets/{number}")
    assert queue.status_code == 200 and queue.json()["requester"]["email"] == address
