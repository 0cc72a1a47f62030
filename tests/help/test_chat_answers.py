"""The chat helper answers: it quotes the passage of the best article (the steps, not its title),
links that article once, asks which article is meant when two answer about as well, and offers
quick replies (talk to an agent, other articles); search keeps only the articles that answer."""
import pytest

from services.tickets.help_center.seed import load_shipped_articles
from services.tickets.help_center.text import html_to_text

DEPOSIT_QUESTIONS = {
    "en": "I sent USDT to my account 3 hours ago and it still hasn't shown up",
    "es": "Hice un depósito de cripto y no aparece en mi saldo",
    "zh-Hant": "我的USDT充值還沒到帳",
}
AGENT_LABELS = {"en": "Talk to an agent", "es": "Hablar con un agente", "zh-Hant": "真人客服"}


def article_text(slug: str, locale: str) -> str:
    shipped = next(article for article in load_shipped_articles() if article.slug == slug)
    return html_to_text(shipped.translations[locale]["body"])


def start(who, message, **extra):
    response = who.post("/api/v1/chats", json={"message": message, **extra})
    assert response.status_code == 201, response.json
    return response.json["chat"]


def say(who, chat_id, body):
    response = who.post(f"/api/v1/chats/{chat_id}/messages", json={"body": body})
    assert response.status_code == 201, response.json
    return response.json["chat"]


@pytest.mark.parametrize("locale", sorted(DEPOSIT_QUESTIONS))
def test_a_deposit_question_is_answered_with_a_passage_of_the_deposit_article(people, locale):
    chat = start(people.alice, DEPOSIT_QUESTIONS[locale], locale=locale)
    reply = chat["messages"][-1]
    assert reply["author"]["role"] == "bot"
    assert reply["article"]["slug"] == "deposit-not-credited"
    assert reply["articles"] == [reply["article"]]  # linked once
    text = article_text("deposit-not-credited", locale)
    lines = [line.removeprefix("\u2022 ") for line in reply["answer"].split("\n")]
    assert len(lines) >= 2 and all(line in text for line in lines), (lines, text)
    assert reply["article"]["title"] not in reply["body"]  # the passage, not the title again
    assert reply["body"].startswith(reply["answer"])
    assert reply["quick_replies"][0] == {"label": AGENT_LABELS[locale], "message": AGENT_LABELS[locale],
                                         "kind": "agent"}


def test_a_heading_the_question_names_is_quoted_with_its_text(people):
    chat = start(people.alice, "my deposit is missing, how do I check capital flows")
    reply = chat["messages"][-1]
    assert reply["article"]["slug"] == "deposit-not-credited"
    assert reply["answer"].split("\n")[0] == "3. Check Capital Flows"
    assert "Capital Flows" in reply["answer"].split("\n")[1]


def test_close_candidates_get_a_clarifying_question_and_a_quick_reply_answers_it(people):
    chat = start(people.alice, "my friend signed up with my code but I didn't get a box")
    question = chat["messages"][-1]
    assert question["answer"] is None and question["article"] is None
    slugs = [link["slug"] for link in question["articles"]]
    assert sorted(slugs) == ["referral-eligibility", "referral-program"]
    assert all(link["title"] in question["body"] for link in question["articles"])
    kinds = [(reply["kind"], reply.get("slug")) for reply in question["quick_replies"]]
    assert kinds == [("article", slugs[0]), ("article", slugs[1]), ("agent", None)]

    chosen = question["quick_replies"][1]
    answered = say(people.alice, chat["id"], chosen["message"])["messages"][-1]
    assert answered["article"]["slug"] == chosen["slug"]
    assert answered["answer"] and answered["answer"].split("\n")[0] in article_text(chosen["slug"], "en")


@pytest.mark.parametrize("locale", sorted(AGENT_LABELS))
def test_the_talk_to_an_agent_quick_reply_hands_the_chat_over(people, locale):
    chat = start(people.alice, DEPOSIT_QUESTIONS[locale], locale=locale)
    agent_reply = next(r for r in chat["messages"][-1]["quick_replies"] if r["kind"] == "agent")
    handed = say(people.alice, chat["id"], agent_reply["message"])
    assert handed["status"] == "waiting_agent" and handed["ticket_number"]


def test_a_miss_offers_only_the_agent(people):
    chat = start(people.alice, "the purple elephant sings loudly")
    reply = chat["messages"][-1]
    assert reply["articles"] == [] and reply["answer"] is None
    assert [r["kind"] for r in reply["quick_replies"]] == ["agent"]


def test_search_answers_an_exact_question_with_the_few_articles_that_answer_it(reader):
    response = reader.get("/api/v1/help/articles",
                          query_string={"q": DEPOSIT_QUESTIONS["en"], "locale": "en", "limit": 10})
    slugs = [item["slug"] for item in response.json["items"]]
    assert slugs[0] == "deposit-not-credited"
    assert len(slugs) <= 3 and not any(slug.startswith("referral") for slug in slugs), slugs
    # Broad questions still list several: the floor is relative to the best match. ("how do I join a
    # video call" is no longer one: it is the title of the article that answers it, and finds that one.)
    broad = reader.get("/api/v1/help/articles", query_string={"q": "video call", "locale": "en"})
    assert len(broad.json["items"]) >= 2
