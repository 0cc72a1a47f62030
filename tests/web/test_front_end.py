"""The front end's shared manners in the browser: a form's error is scrolled into view and
focused, one toast per action, the phone header's menu, every control named, dates in the
page language's format."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.e2e.harness import wait_for
from tests.web import data

pytestmark = pytest.mark.e2e
PHONE = (390, 844)
JS = Path(__file__).resolve().parents[2] / "services" / "gateway" / "web" / "static" / "js"

IN_VIEW = "const r = arguments[0].getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight;"
UNNAMED = """
return [...document.querySelectorAll('button, a[href], summary, [role=button]')].filter(el => {
  if (!el.getClientRects().length) return false;
  const named = (el.getAttribute('aria-label') || '').trim() || (el.getAttribute('aria-labelledby') || '').trim()
    || (el.textContent || '').trim() || (el.getAttribute('title') || '').trim()
    || [...el.querySelectorAll('img[alt]')].some(img => img.alt.trim());
  return !named;
}).map(el => el.outerHTML.slice(0, 120));
"""


def test_the_duplicate_txid_error_is_scrolled_into_view_and_focused(browser, product):
    customer = data.customer(product)
    data.ticket(customer, category="deposit_withdrawal", txid="0xdup0000000000001")
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.driver.set_window_size(*PHONE)
    browser.open("/support/tickets/new")
    browser.choose("#category", "deposit_withdrawal")
    browser.type("#subject", "Deposit still missing")
    browser.type("#description", "Same deposit.")
    browser.type("#txid", "0xdup0000000000001")
    browser.driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    browser.click("#submit-ticket")
    error = browser.visible("#form-error")
    browser.wait().until(lambda d: d.execute_script(IN_VIEW, error))
    assert browser.driver.execute_script("return document.activeElement.id") == "form-error"


def test_a_booking_says_so_once_in_the_pages_date_format(browser, product, support_agent):
    customer = data.customer(product)
    number = data.ticket(customer, subject="Card lost", category="account_security")["number"]
    call = data.propose(support_agent, number, data.now() + dt.timedelta(days=2))
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open("/support")
    browser.visible(f"#call-{call['id']}")
    unread = len(customer.get("/api/v1/notifications").json()["items"])
    browser.click(f"label[for=slot-{call['id']}-0]")
    browser.click(f"#book-{call['id']}")
    toast = browser.visible("#toasts .toast").text
    assert "UTC" not in toast and "T" not in toast.replace("PM", "").replace("AM", "")
    # The notifications the booking causes arrive on the bell, without toasts of their own.
    wait_for(lambda: len(customer.get("/api/v1/notifications").json()["items"]) > unread, timeout=20,
             message="the booking's notification")
    browser.wait().until(lambda d: int(browser.find("#bell-count").get_attribute("data-count")) > 0)
    assert browser.count("#toasts .toast") == 1


def test_the_phone_header_folds_its_links_into_a_menu(browser, product):
    customer = data.customer(product)
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.driver.set_window_size(*PHONE)
    browser.open("/support/tickets")
    toggle = browser.visible("#nav-toggle")
    assert toggle.get_attribute("aria-expanded") == "false" and toggle.text.strip()
    assert not browser.find("#mainnav").is_displayed()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    browser.visible("#mainnav a[href='/rewards']").click()
    browser.wait_text("h1", "Referral")
    browser.driver.set_window_size(1366, 768)
    assert browser.find("#mainnav").is_displayed() and not browser.find("#nav-toggle").is_displayed()


HEADER = """
const header = document.querySelector('.topbar').getBoundingClientRect();
const shown = [...document.querySelector('.topbar').children].filter(el => el.getClientRects().length)
  .map(el => el.id || el.className);
return [header.height, shown];
"""


@pytest.mark.parametrize("who,lang", [("visitor", "es"), ("customer", "en"), ("customer", "es"), ("customer", "zh-Hant")])
def test_the_phone_header_is_one_row_with_the_rest_in_its_menu(browser, product, who, lang):
    browser.driver.set_window_size(*PHONE)
    browser.open("/help")
    browser.driver.add_cookie({"name": "lang", "value": lang, "path": "/"})
    if who == "customer":
        browser.log_in_as(data.customer(product).email, data.PASSWORD)
    browser.open("/support")
    toggle = browser.visible("#nav-toggle")
    height, shown = browser.driver.execute_script(HEADER)
    expected = ["brand", "bell", "nav-toggle"] if who == "customer" else ["brand", "nav-toggle"]
    assert [name.split()[0] for name in shown] == expected
    assert height <= 64, f"the header takes {height}px: more than one row"
    for inside in ("#lang-switch", ".account summary" if who == "customer" else "#login-link"):
        assert not browser.find(inside).is_displayed(), inside
    toggle.click()
    assert browser.visible("#lang-switch") and browser.find("#mainnav").is_displayed()
    if who == "customer":
        browser.click(".account summary")
        browser.visible("#logout")
    else:
        assert browser.visible("#login-link") and browser.find("a[href='/register']").is_displayed()
    browser.driver.set_window_size(1366, 768)
    height, shown = browser.driver.execute_script(HEADER)
    assert "site-tools" in shown and not browser.find("#nav-toggle").is_displayed()


@pytest.mark.parametrize("size", [(1366, 768), PHONE], ids=["desktop", "phone"])
def test_every_control_has_a_name(browser, product, size):
    customer = data.customer(product)
    data.ticket(customer)
    browser.driver.set_window_size(*size)
    browser.driver.add_cookie({"name": "lang", "value": "zh-Hant", "path": "/"})
    for path in ("/support", "/help", "/login"):
        browser.open(path)
        browser.settle()
        assert browser.driver.execute_script(UNNAMED) == [], path
    browser.log_in_as(customer.email, data.PASSWORD)
    for path in ("/support", "/support/tickets", "/support/tickets/new", "/rewards", "/notifications"):
        browser.open(path)
        browser.settle()
        assert browser.driver.execute_script(UNNAMED) == [], path


def test_chinese_button_words_stay_together(browser, product):
    browser.driver.set_window_size(*PHONE)
    browser.driver.add_cookie({"name": "lang", "value": "zh-Hant", "path": "/"})
    browser.open("/login")
    style = browser.driver.execute_script(
        "const s = getComputedStyle(document.querySelector('button[type=submit]')); return [s.whiteSpace, s.wordBreak];")
    assert style == ["nowrap", "keep-all"]


def test_the_scripts_have_one_date_format():
    """Dates go through core.js (the page language's Intl format), never the browser's default."""
    for path in JS.rglob("*.js"):
        text = path.read_text("utf-8")
        for raw in ("toLocaleString(", "toLocaleDateString(", "toLocaleTimeString(", "toUTCString("):
            assert raw not in text, (path.name, raw)
        if path.name != "core.js":
            assert "Intl.DateTimeFormat" not in text, path.name


def test_an_agent_form_error_is_scrolled_into_view_and_its_field_focused(browser, product, support_agent):
    customer = data.customer(product)
    number = data.ticket(customer, subject="Agent form error")["number"]
    browser.log_in_as(support_agent.email, "agent password 1")
    browser.driver.set_window_size(*PHONE)
    browser.open(f"/agent/tickets/{number}")
    browser.visible("#agent-send")
    browser.driver.execute_script("window.scrollTo(0, 0)")
    browser.driver.execute_script("document.querySelector('#agent-send').click()")  # an empty reply
    error = browser.visible("#compose-error")
    browser.wait().until(lambda d: d.execute_script(IN_VIEW, error))
    assert browser.driver.execute_script("return document.activeElement.id") == "agent-body"

    # A refusal from the service (another requester's ticket) is brought into view and focused too.
    other = data.ticket(data.customer(product), subject="Someone else's")["number"]
    browser.type("#merge-into", other)
    browser.click("#merge-submit")
    browser.visible("#merge-confirm")
    browser.driver.execute_script("window.scrollTo(0, 0)")
    browser.driver.execute_script("document.querySelector('#merge-confirm').click()")
    merge_error = browser.visible("#merge-error")
    browser.wait().until(lambda d: d.execute_script(IN_VIEW, merge_error))
    assert browser.driver.execute_script("return document.activeElement.id") == "merge-error"
