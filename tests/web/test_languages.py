"""Every page in English, Spanish and Traditional Chinese, on a phone-sized screen: no
untranslated key, the page in the chosen language, every form field labelled, nothing
wider than the screen. The language switch is remembered; without a choice the
account's language, then the browser's, decides."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import requests

from tests.e2e.harness import wait_for
from tests.web import data
from tests.web.browser import PHONE_WIDTH

pytestmark = pytest.mark.e2e
LANGUAGES = ("en", "es", "zh-Hant")
TITLES = {"en": "Support center", "es": "Centro de soporte", "zh-Hant": "客服中心"}

UNTRANSLATED = """
const texts = [document.title, document.body.innerText];
for (const element of document.body.querySelectorAll('*')) {
  if (element.tagName === 'SCRIPT') continue;
  for (const name of ['aria-label', 'placeholder', 'alt', 'title', 'data-label']) {
    if (element.hasAttribute(name)) texts.push(element.getAttribute(name));
  }
  if (element.hidden || element.closest('[hidden]')) texts.push(element.textContent);
}
return texts.filter(text => text && text.includes('\u27e6'));
"""
TOO_WIDE = """
const width = document.documentElement.clientWidth;
if (document.documentElement.scrollWidth > width) return ['the page scrolls sideways'];
return [...document.querySelectorAll('header *, main *')]
  .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > width + 1)
  .map(e => e.tagName + (e.id ? '#' + e.id : '') + ' ' + Math.round(e.getBoundingClientRect().right));
"""
UNLABELLED = """
return [...document.querySelectorAll('input, select, textarea')].filter(field => {
  if (field.type === 'hidden' || field.closest('[hidden]')) return false;
  return !(field.labels && field.labels.length) && !field.getAttribute('aria-label') && !field.getAttribute('aria-labelledby');
}).map(field => field.id || field.name || field.outerHTML.slice(0, 80));
"""


@pytest.fixture(scope="module")
def world(product, support_agent):
    """A customer with something on every page, and the agent who serves them."""
    inviter = data.customer(product)
    code = data.eligible_referral(inviter)["code"]
    invitee = data.customer(product, referral_code=code)
    assert invitee.post("/api/v1/devices", json={"platform": "android", "device_id": "lang-test"}).status_code == 201
    box = wait_for(lambda: inviter.get("/api/v1/referrals/boxes").json()["items"], timeout=20,
                   message="a mystery box")[0]
    assert inviter.post(f"/api/v1/referrals/boxes/{box['id']}/open").status_code == 200
    number = data.ticket(inviter, subject="Deposit missing", category="deposit_withdrawal", txid="0xfeedbeef0001")["number"]
    data.agent_message(support_agent, number, "Which network did you use?", kind="info_request")
    data.propose(support_agent, number, data.now() + dt.timedelta(days=1))
    wait_for(lambda: inviter.get("/api/v1/notifications").json()["items"], message="a notification")
    return {"customer": inviter, "number": number}


def customer_pages(number: str) -> list[tuple[str, list[str]]]:
    """Each page and what shows that its data has arrived."""
    return [
        ("/support", ["#calls .call-card", "#recent-tickets li"]),
        ("/support/tickets", ["#ticket-list li"]),
        ("/support/tickets/new", ["#ticket-form"]),
        (f"/support/tickets/{number}", ["#history li", "#ticket-facts"]),
        ("/support/video-calls", [".call-card .checklist li"]),
        ("/notifications", ["#inbox-list li"]),
        ("/settings/notifications", ["#email-ticket_updates:enabled", "#push-state"]),
        ("/rewards", ["#progress:not([aria-busy])"]),
        ("/rewards/boxes", ["#box-list li"]),
        ("/assets/capital-flows", ["#flow-rows tr"]),
        ("/help/articles/withdrawal-delayed", ["#article-body p"]),
    ]


def agent_pages(number: str) -> list[tuple[str, list[str]]]:
    return [("/agent", ["#queue-rows tr"]), (f"/agent/tickets/{number}", ["#history li", ".agent-call"])]


PUBLIC_PAGES = [("/support", ["#help-search"]), ("/login", ["#login-form"]), ("/register?ref=ABCD1234", ["#register-form"]),
                ("/support/guest-ticket", ["#ticket-form"]), ("/support/video-calls", ["#appointment-email-form"]),
                ("/help", ["#help-categories"]), ("/help/categories/wallet", ["#category-articles"]),
                ("/help/articles/deposit-not-credited", ["#article-vote"]), ("/no-such-page", ["#error-home"])]


def check_page(browser, path: str, ready: list[str], lang: str) -> None:
    browser.open(path)
    for selector in ready:
        browser.visible(selector)
    assert browser.driver.execute_script("return document.documentElement.lang") == lang, path
    assert TITLES[lang] in browser.driver.title, (path, browser.driver.title)
    assert browser.driver.execute_script(UNTRANSLATED) == [], (lang, path)
    assert browser.driver.execute_script(UNLABELLED) == [], (lang, path)
    wide = browser.driver.execute_script(TOO_WIDE)
    assert wide == [], f"{path} in {lang}: wider than a {PHONE_WIDTH}px screen: {wide}"
    # The 404 page's own status is the one error its console may show.
    errors = [e for e in browser.console_errors() if not (path == "/no-such-page" and path + " " in e)]
    assert errors == [], (lang, path)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_in_every_language_on_a_phone(browser, product, world, support_agent, lang):
    browser.driver.set_window_size(PHONE_WIDTH, 812)
    browser.driver.add_cookie({"name": "lang", "value": lang, "path": "/"})
    for path, ready in PUBLIC_PAGES:
        check_page(browser, path, ready, lang)
    browser.log_in_as(world["customer"].email, data.PASSWORD)
    for path, ready in customer_pages(world["number"]):
        check_page(browser, path, ready, lang)
        if lang == "en" and path in ("/support", "/support/video-calls", "/assets/capital-flows"):
            browser.screenshot("phone" + re.sub(r"/\d+", "/ticket", path.split("?")[0]).replace("/", "-"))
    browser.driver.delete_all_cookies()
    browser.driver.add_cookie({"name": "lang", "value": lang, "path": "/"})
    browser.log_in_as(support_agent.email, "agent password 1")
    for path, ready in agent_pages(world["number"]):
        check_page(browser, path, ready, lang)


def test_the_language_switch_is_remembered(browser, product):
    customer = data.customer(product)
    browser.log_in_as(customer.email, data.PASSWORD)
    browser.open("/support/tickets")
    browser.wait_text("h1", "My tickets")
    browser.choose("#lang-switch", "es")
    browser.wait_text("h1", "Mis tickets")
    browser.open("/rewards")  # another page, no parameter: the choice stays
    browser.wait_text("h1", "Programa de referidos")
    assert browser.driver.execute_script("return localStorage.getItem('lang')") == "es"
    browser.choose("#lang-switch", "zh-Hant")
    browser.wait_text("h1", "推薦計畫")
    # Logged in, the switch is the account's language too (its inbox items and emails follow it).
    assert browser.driver.execute_script(
        "return fetch('/api/v1/me').then(r => r.json()).then(body => body.user.locale)") == "zh-Hant"


def test_without_a_choice_the_accounts_then_the_browsers_language(product):
    customer = data.customer(product, locale="zh-Hant")
    session = requests.Session()
    assert session.post(product.url("/api/v1/auth/login"),
                        json={"email": customer.email, "password": data.PASSWORD}).status_code == 200
    page = session.get(product.url("/support/tickets"), headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert '<html lang="zh-Hant">' in page.text and "我的工單" in page.text
    anonymous = requests.get(product.url("/login"), headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert '<html lang="es">' in anonymous.text and "Iniciar sesión" in anonymous.text
    chosen = requests.get(product.url("/login"), headers={"Accept-Language": "es-MX"}, cookies={"lang": "zh-Hant"})
    assert '<html lang="zh-Hant">' in chosen.text
    linked = requests.get(product.url("/login?lang=es"))
    assert '<html lang="es">' in linked.text and linked.cookies.get("lang") == "es"
