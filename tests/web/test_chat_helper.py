"""The chat helper in a real browser: a deposit question in each language is answered with a
passage of the deposit article (linked once), quick replies are offered and work, a typing
indicator shows while the helper answers, and a chat that has ended takes no more input."""
from __future__ import annotations

import pytest
import requests

from services.tickets.help_center.seed import load_shipped_articles
from services.tickets.help_center.text import html_to_text
from tests.web import data

pytestmark = pytest.mark.e2e
DEPOSIT_QUESTIONS = {
    "en": "I sent USDT to my account 3 hours ago and it still hasn't shown up",
    "es": "Hice un depósito de cripto y no aparece en mi saldo",
    "zh-Hant": "我的USDT充值還沒到帳",
}


def deposit_text(locale: str) -> str:
    article = next(a for a in load_shipped_articles() if a.slug == "deposit-not-credited")
    return html_to_text(article.translations[locale]["body"])


def ask(browser, question: str) -> None:
    browser.click("#chat-open")
    browser.visible("#chat-panel")
    browser.type("#chat-email", data.email("chat"))
    browser.type("#chat-input", question)
    browser.click("#chat-send")
    browser.wait().until(lambda d: browser.count("#chat-log li.bot") >= 1)


@pytest.mark.parametrize("locale", sorted(DEPOSIT_QUESTIONS))
def test_a_deposit_question_gets_a_passage_of_the_deposit_article(browser, locale):
    browser.open(f"/support?lang={locale}")
    ask(browser, DEPOSIT_QUESTIONS[locale])
    answer = browser.find("#chat-log li.bot p").text
    text = deposit_text(locale)
    lines = [line.removeprefix("\u2022 ") for line in answer.split("\n\n")[0].split("\n")]
    assert len(lines) >= 2 and all(line in text for line in lines), (lines, text)
    links = browser.attrs("#chat-log li.bot a", "href")
    assert len(links) == 1 and links[0].endswith("/help/articles/deposit-not-credited")
    assert browser.count("#chat-log li.bot .chat-quick button") >= 1
    assert browser.find("#chat-typing").get_attribute("hidden") is not None


def test_a_quick_reply_answers_a_clarifying_question_and_an_ended_chat_takes_no_input(browser, product):
    browser.open("/support?lang=en")
    ask(browser, "my friend signed up with my code but I didn't get a box")
    buttons = browser.find_all("#chat-log li.bot .chat-quick button")
    labels = [button.text for button in buttons]
    assert "Talk to an agent" in labels and len(labels) == 3
    buttons[0].click()
    browser.wait().until(lambda d: browser.count("#chat-log li.bot") >= 2)
    browser.wait_text("#chat-log li.bot:last-child .chat-source", labels[0])
    # The earlier question's quick replies are gone: only the last answer offers some.
    assert browser.count("#chat-log li.bot:not(:last-child) .chat-quick") == 0

    chat_id = browser.driver.execute_script("return JSON.parse(sessionStorage.getItem('chat-session')).id")
    token = browser.driver.execute_script("return JSON.parse(sessionStorage.getItem('chat-session')).token")
    closed = requests.post(product.url(f"/api/v1/chats/{chat_id}/close"),
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert closed.status_code == 200, closed.text
    browser.open("/support?lang=en")  # the chat of this tab, read again
    browser.click("#chat-open")
    browser.visible("#chat-restart")
    assert not browser.find("#chat-form").is_displayed()
    browser.click("#chat-restart")
    browser.visible("#chat-input")
