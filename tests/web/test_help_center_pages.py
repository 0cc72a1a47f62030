"""The help center's pages in a real browser: the home (categories, popular articles, search),
a category, an article with related articles and "was this helpful?"; service notices on the
support page and in the chat; HTML error pages in the visitor's language with a way back."""
from __future__ import annotations

import datetime as dt

import pytest
import requests

from tests.help.test_e2e_help_center import create_editor

pytestmark = pytest.mark.e2e


def test_the_help_center_home_leads_to_a_category_and_an_article(browser):
    browser.open("/help?lang=en")
    assert browser.find("h1").text == "Help center"
    categories = browser.find_all("#help-categories a")
    assert len(categories) >= 5
    assert browser.count("#popular-articles li") >= 3
    browser.screenshot("help-home")

    browser.find("#help-categories a[href='/help/categories/deposits_withdrawals']").click()
    browser.wait_text("#category-title", "Deposits")
    slugs = [href.rsplit("/", 1)[1] for href in browser.attrs("#category-articles a", "href")]
    assert "deposit-not-credited" in slugs and "referral-program" not in slugs

    browser.find("#category-articles a[href='/help/articles/deposit-not-credited']").click()
    browser.wait_text("#article-title", "My crypto deposit has not arrived")
    assert "Check the confirmations" in browser.text_of("#article-body")
    assert browser.find("#article-category").get_attribute("href").endswith("/help/categories/deposits_withdrawals")
    related = browser.attrs("#related-articles a", "href")
    assert related and not any(href.endswith("/deposit-not-credited") for href in related)

    browser.find("#article-vote button[data-helpful='true']").click()
    browser.wait_text("#vote-thanks", "Thank you")
    assert browser.attrs("#article-vote button[data-helpful='true']", "aria-pressed") == ["true"]


def test_the_home_searches_and_speaks_the_visitors_language(browser):
    browser.open("/help?lang=zh-Hant")
    assert browser.find("h1").text == "幫助中心"
    browser.type("#help-q", "充值還沒到帳")
    browser.click("#help-search-button")
    first = browser.visible("#help-result-list li a")
    assert first.get_attribute("href").endswith("/help/articles/deposit-not-credited")


def test_a_service_notice_shows_on_the_support_page_and_in_the_chat(browser, product):
    editor = create_editor(product)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    created = editor.post("/api/v1/help/notices", json={
        "title": "Retiros de BTC con retraso", "body": "Los retiros de BTC tardan más de lo habitual.",
        "locale": "es", "starts_at": (now - dt.timedelta(minutes=1)).isoformat(),
        "ends_at": (now + dt.timedelta(minutes=10)).isoformat()})
    assert created.status_code == 201, created.text
    try:
        def banner_shown(_):
            browser.open("/support?lang=es")
            return "Retiros de BTC con retraso" in browser.text_of("main")
        browser.wait(30).until(banner_shown, "the notice on the support page")
        browser.click("#chat-open")
        assert "Retiros de BTC con retraso" in browser.visible("#chat-panel .service-notice").text
        english = requests.get(product.url("/support?lang=en"), timeout=10).text
        assert "Retiros de BTC" not in english  # a notice shows in its own language
    finally:
        assert editor.request("DELETE", f"/api/v1/help/notices/{created.json()['id']}").status_code == 204


def test_an_unknown_page_is_an_html_404_in_the_visitors_language_with_a_way_back(browser, product):
    browser.open("/no-such-page?lang=es")
    assert browser.find("h1").text == "No encontramos esta página"
    browser.click("#error-home")
    browser.wait().until(lambda d: d.current_url.endswith("/support"))

    page = requests.get(product.url("/help/articles/no-such-article"), timeout=10)
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert '<a class="button" href="/support" id="error-home">' in page.text
    category = requests.get(product.url("/help/categories/no-such-topic"), timeout=10)
    assert category.status_code == 404 and "text/html" in category.headers["Content-Type"]
    # The API keeps the contract's JSON error shape.
    api = requests.get(product.url("/api/v1/no-such-endpoint"), timeout=10)
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
