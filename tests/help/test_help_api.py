"""The public help center on the shipped articles: browsing, articles, suggestions, and bad input."""
import pytest

from services.tickets.help_center.models import CATEGORIES


def test_the_shipped_set_covers_every_category_in_three_languages(reader):
    items = reader.get("/api/v1/help/articles", query_string={"limit": 50}).json["items"]
    per_category = {c: [i for i in items if i["category"] == c] for c in CATEGORIES}
    assert all(len(articles) >= 2 for articles in per_category.values()), per_category
    assert all(item["available_locales"] == ["en", "es", "zh-Hant"] for item in items)
    for slug in ("contact-support", "follow-ticket-updates", "join-video-call", "referral-program"):
        assert slug in {i["slug"] for i in items}


def test_browsing_by_category_and_language_pages_through_everything(reader):
    first = reader.get("/api/v1/help/articles",
                       query_string={"category": "referral_program", "locale": "es", "limit": 2}).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = reader.get("/api/v1/help/articles", query_string={
        "category": "referral_program", "locale": "es", "limit": 2, "cursor": first["next_cursor"]}).json
    everything = first["items"] + rest["items"]
    assert rest["next_cursor"] is None
    assert {i["category"] for i in everything} == {"referral_program"}
    assert {i["locale"] for i in everything} == {"es"}
    assert "¿Cómo funciona el programa de referidos?" in {i["title"] for i in everything}


def test_an_article_in_each_language(reader):
    for locale, words in (("en", "Join call"), ("es", "Unirse a la llamada"), ("zh-Hant", "加入通話")):
        article = reader.get("/api/v1/help/articles/join-video-call", query_string={"locale": locale}).json
        assert article["locale"] == locale and words in article["body"]
        assert set(article) >= {"slug", "title", "category", "locale", "body", "updated_at"}
        assert article["updated_at"].endswith("Z")
    regional = reader.get("/api/v1/help/articles/join-video-call", query_string={"locale": "zh-TW"}).json
    assert regional["locale"] == "zh-Hant"


def test_suggestions_for_a_ticket_being_written(reader):
    text = ("Deposit missing. I deposited 200 USDT on TRC20 four hours ago, the block explorer shows it "
            "confirmed but my balance has not changed")
    items = reader.get("/api/v1/help/suggestions", query_string={"text": text}).json["items"]
    assert items[0]["slug"] == "deposit-not-credited" and len(items) <= 3
    spanish = reader.get("/api/v1/help/suggestions",
                         query_string={"text": "Mi retiro de BTC sigue pendiente desde ayer"}).json["items"]
    assert "withdrawal-delayed" in [i["slug"] for i in spanish] and spanish[0]["locale"] == "es"


def test_a_question_of_small_words_only_finds_nothing_without_failing(reader):
    response = reader.get("/api/v1/help/articles", query_string={"q": "how do I", "locale": "en"})
    assert response.status_code == 200 and response.json["items"] == []


@pytest.mark.parametrize("q", ['"', "*", "NEAR(a b)", "deposit OR", "'); DROP TABLE help_article; --",
                               "a:b", "(((", "^withdraw", "x" * 200, "提", "_", "¿?", "2fa"])
def test_search_syntax_in_a_question_is_only_text(reader, q):
    response = reader.get("/api/v1/help/articles", query_string={"q": q, "locale": "en"})
    assert response.status_code == 200, response.json
    assert reader.get("/api/v1/help/articles/contact-support").status_code == 200


@pytest.mark.parametrize("path,params,field", [
    ("/api/v1/help/articles", {"q": "withdraw " * 1112}, "q"),
    ("/api/v1/help/articles", {"q": "fees", "locale": "fr"}, "locale"),
    ("/api/v1/help/articles", {"q": "fees", "locale": "xx-YY"}, "locale"),
    ("/api/v1/help/articles", {"category": "poetry"}, "category"),
    ("/api/v1/help/articles", {"limit": "0"}, "limit"),
    ("/api/v1/help/articles", {"cursor": "abc"}, "cursor"),
    ("/api/v1/help/articles/contact-support", {"locale": "klingon"}, "locale"),
    ("/api/v1/help/categories", {"locale": "fr"}, "locale"),
    ("/api/v1/help/suggestions", {}, "text"),
    ("/api/v1/help/suggestions", {"text": ""}, "text"),
    ("/api/v1/help/suggestions", {"text": "x" * 10_000}, "text"),
])
def test_bad_input_gets_the_contract_error(reader, path, params, field):
    response = reader.get(path, query_string=params)
    assert response.status_code == 400, response.json
    error = response.json["error"]
    assert error["code"] == "validation_error" and field in error["details"]["fields"]


def test_categories_titled_and_counted_in_the_language(reader):
    everything = reader.get("/api/v1/help/articles", query_string={"limit": 50, "locale": "en"}).json["items"]
    for locale, title in (("en", "Account and security"), ("es", "Cuenta y seguridad"), ("zh-Hant", "帳戶與安全")):
        response = reader.get("/api/v1/help/categories", query_string={"locale": locale})
        assert response.status_code == 200, response.json
        items = response.json["items"]
        assert [i["slug"] for i in items] == list(CATEGORIES)
        assert items[0]["title"] == title
        # The shipped articles are written in all three languages.
        assert {i["slug"]: i["article_count"] for i in items} == {
            c: len([a for a in everything if a["category"] == c]) for c in CATEGORIES}


@pytest.mark.parametrize("q", [None, "", "   "])
def test_an_empty_question_lists_articles_newest_first(reader, q):
    params = {"limit": 50} if q is None else {"limit": 50, "q": q}
    response = reader.get("/api/v1/help/articles", query_string=params)
    assert response.status_code == 200, response.json
    items = response.json["items"]
    assert len(items) > 10 and "score" not in items[0]
    assert [i["updated_at"] for i in items] == sorted((i["updated_at"] for i in items), reverse=True)


def test_unknown_articles_are_404(reader):
    for path in ("/api/v1/help/articles/no-such-article", "/api/v1/help/articles/%3Cscript%3E"):
        response = reader.get(path)
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    vote = reader.post("/api/v1/help/articles/no-such-article/votes", json={"helpful": True})
    assert vote.status_code == 404


def test_agents_endpoints_refuse_readers(reader):
    assert reader.get("/api/v1/agent/help/articles").status_code == 403
