"""Editors write, translate and publish articles; readers vote; markup never becomes script."""
from services.tickets.help_center.models import HelpArticle, HelpTranslation, HelpVote
from services.tickets.help_center.seed import load_shipped_articles, seed_missing_articles
from services.tickets.models import db
from tests.conftest import close_database
from tests.help.conftest import make_app

HOSTILE_BODY = ('<p onclick="steal()">Rotate your <strong>API keys</strong> every quarter.</p>'
                '<script>alert("x")</script><img src=x onerror=alert(1)>'
                '<a href="javascript:alert(1)">click</a> <a href="https://example.com/keys">guide</a>'
                '<iframe src="https://evil.example"></iframe><style>body{display:none}</style>')

NEW_ARTICLE = {"slug": "rotate-api-keys", "category": "account_security",
               "translations": {"en": {"title": "How often should I rotate my API keys?", "body": HOSTILE_BODY,
                                       "keywords": "API key, rotate, trading bot"}}}


def search(who, q, locale="en"):
    return [i["slug"] for i in who.get("/api/v1/help/articles", query_string={"q": q, "locale": locale}).json["items"]]


def test_a_draft_is_hidden_until_published_and_then_found(people):
    created = people.writer.post("/api/v1/agent/help/articles", json=NEW_ARTICLE)
    assert created.status_code == 201, created.json
    assert created.json["status"] == "draft" and created.json["origin"] == "editor"
    assert people.anonymous.get("/api/v1/help/articles/rotate-api-keys").status_code == 404
    assert "rotate-api-keys" not in search(people.anonymous, "rotate API keys")

    published = people.writer.post("/api/v1/agent/help/articles/rotate-api-keys/publish")
    assert published.status_code == 200 and published.json["published_at"]
    assert search(people.anonymous, "rotate API keys")[0] == "rotate-api-keys"
    assert people.anonymous.get("/api/v1/help/articles/rotate-api-keys").status_code == 200

    assert people.writer.post("/api/v1/agent/help/articles/rotate-api-keys/unpublish").json["status"] == "draft"
    assert people.anonymous.get("/api/v1/help/articles/rotate-api-keys").status_code == 404


def test_markup_in_an_article_never_produces_script(people):
    people.writer.post("/api/v1/agent/help/articles", json=NEW_ARTICLE)
    people.writer.post("/api/v1/agent/help/articles/rotate-api-keys/publish")
    shown = [people.anonymous.get("/api/v1/help/articles/rotate-api-keys").json["body"],
             people.writer.get("/api/v1/agent/help/articles/rotate-api-keys").json["translations"]["en"]["body"],
             people.anonymous.get("/api/v1/help/articles", query_string={"q": "API keys"}).json["items"][0]["body"]]
    for body in shown:
        lowered = body.lower()
        for forbidden in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<style", "alert("):
            assert forbidden not in lowered, (forbidden, body)
        assert "<strong>API keys</strong>" in body and 'href="https://example.com/keys"' in body
        assert 'rel="noopener noreferrer nofollow"' in body
    # What the editor wrote is kept as written; only what is shown is cleaned.
    assert "<script>" in HelpTranslation.get(HelpTranslation.title == "How often should I rotate my API keys?").body

    # The shipped articles go through the same cleaning.
    translation = (HelpTranslation.select().join(HelpArticle)
                   .where((HelpArticle.slug == "capital-flows") & (HelpTranslation.locale == "en")).get())
    translation.body += '<script>document.cookie</script><a href="javascript:void(0)">x</a>'
    translation.save()
    body = people.anonymous.get("/api/v1/help/articles/capital-flows").json["body"]
    assert "<script" not in body and "javascript:" not in body and "Capital Flows" in body


def test_translations_fall_back_to_english_until_written(people):
    people.writer.post("/api/v1/agent/help/articles", json=NEW_ARTICLE)
    people.writer.post("/api/v1/agent/help/articles/rotate-api-keys/publish")
    fallback = people.anonymous.get("/api/v1/help/articles/rotate-api-keys", query_string={"locale": "es"}).json
    assert fallback["locale"] == "en" and fallback["available_locales"] == ["en"]
    # An English question from a Spanish page still finds an article written only in English.
    assert "rotate-api-keys" in search(people.anonymous, "rotate API keys", "es")

    spanish = {"title": "¿Cada cuánto debo rotar mis claves API?",
               "body": "<p>Rota tus claves API cada trimestre.</p>", "keywords": "clave API, rotar, bot"}
    updated = people.writer.put("/api/v1/agent/help/articles/rotate-api-keys",
                                json={"translations": {"es": spanish}})
    assert updated.status_code == 200 and updated.json["available_locales"] == ["en", "es"]
    shown = people.anonymous.get("/api/v1/help/articles/rotate-api-keys", query_string={"locale": "es"}).json
    assert shown["locale"] == "es" and shown["title"] == spanish["title"]
    assert search(people.anonymous, "rotar claves", "es")[0] == "rotate-api-keys"

    rewritten = dict(spanish, body="<p>Rota tus claves cada mes y revoca las que no uses.</p>")
    people.writer.put("/api/v1/agent/help/articles/rotate-api-keys", json={"translations": {"es": rewritten}})
    assert search(people.anonymous, "revoca", "es") == ["rotate-api-keys"]
    assert "rotate-api-keys" not in search(people.anonymous, "trimestre", "es")


def test_only_editors_write_and_bad_articles_change_nothing(people):
    before = HelpArticle.select().count()
    refused = people.support.post("/api/v1/agent/help/articles", json=NEW_ARTICLE)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert people.support.post("/api/v1/agent/help/articles/contact-support/unpublish").status_code == 403
    assert people.alice.post("/api/v1/agent/help/articles", json=NEW_ARTICLE).status_code == 403
    assert people.anonymous.post("/api/v1/agent/help/articles", json=NEW_ARTICLE).status_code == 403
    cases = [
        ({**NEW_ARTICLE, "slug": "Bad Slug!"}, 400, "slug"),
        ({**NEW_ARTICLE, "category": "poetry"}, 400, "category"),
        ({**NEW_ARTICLE, "translations": {"fr": NEW_ARTICLE["translations"]["en"]}}, 400, "translations"),
        ({**NEW_ARTICLE, "translations": {"es": {"title": "Claves", "body": "<p>x</p>"}}}, 400, "translations"),
        ({**NEW_ARTICLE, "translations": {"en": {"title": "<b>Keys</b>", "body": "<p>x</p>"}}}, 400, "translations"),
        ({**NEW_ARTICLE, "translations": {"en": {"title": "Keys", "body": "x" * 50_001}}}, 400, "translations"),
        ({**NEW_ARTICLE, "extra": 1}, 400, "extra"),
        ({**NEW_ARTICLE, "slug": "contact-support"}, 409, None),
    ]
    for body, status, field in cases:
        response = people.writer.post("/api/v1/agent/help/articles", json=body)
        assert response.status_code == status, (body, response.json)
        if field:
            assert field in response.json["error"]["details"]["fields"], response.json
    assert people.writer.post("/api/v1/agent/help/articles", data="slug=x",
                              content_type="application/x-www-form-urlencoded").status_code == 415
    assert people.writer.put("/api/v1/agent/help/articles/contact-support", json={}).status_code == 400
    assert people.writer.put("/api/v1/agent/help/articles/nope", json={"category": "wallet"}).status_code == 404
    assert people.writer.post("/api/v1/agent/help/articles/nope/publish").status_code == 404
    assert HelpArticle.select().count() == before


def test_votes_one_per_person_counted_for_agents(people):
    def vote(who, helpful):
        return who.post("/api/v1/help/articles/contact-support/votes", json={"helpful": helpful})

    assert vote(people.alice, False).status_code == 201
    assert vote(people.alice, True).json == {"slug": "contact-support", "helpful": True}  # replaces hers
    assert vote(people.bob, False).status_code == 201
    assert vote(people.anonymous, True).status_code == 201
    assert vote(people.anonymous, True).status_code == 201  # readers we cannot tell apart each count
    assert vote(people.guest("gina@example.com", "c" * 32), True).status_code == 201
    assert vote(people.guest("GINA@example.com", "d" * 32), True).status_code == 201  # the same guest

    counts = people.support.get("/api/v1/agent/help/articles/contact-support").json["votes"]
    assert counts == {"helpful": 4, "not_helpful": 1}
    listed = people.support.get("/api/v1/agent/help/articles", query_string={"category": "troubleshooting"}).json
    assert {i["slug"]: i["votes"] for i in listed["items"]}["contact-support"] == counts
    assert "votes" not in people.anonymous.get("/api/v1/help/articles/contact-support").json

    for bad in ({}, {"helpful": "yes"}, {"helpful": 1}, {"helpful": True, "stars": 5}):
        response = people.alice.post("/api/v1/help/articles/contact-support/votes", json=bad)
        assert response.status_code == 400, bad
    people.writer.post("/api/v1/agent/help/articles", json=NEW_ARTICLE)
    assert people.alice.post("/api/v1/help/articles/rotate-api-keys/votes", json={"helpful": True}).status_code == 404
    assert HelpVote.select().count() == 5


def test_the_seed_inserts_only_missing_articles_and_keeps_edits(people, app, database_url, tmp_path):
    shipped = load_shipped_articles()
    assert HelpArticle.select().where(HelpArticle.origin == "shipped").count() == len(shipped)
    assert HelpTranslation.select().count() == sum(len(a.translations) for a in shipped)
    edited = {"title": "How do I contact customer support? (edited)", "body": "<p>Use the chat.</p>"}
    people.writer.put("/api/v1/agent/help/articles/contact-support", json={"translations": {"en": edited}})
    HelpArticle.delete().where(HelpArticle.slug == "capital-flows").execute()

    with db.connection_context():
        assert seed_missing_articles() == ["capital-flows"]
        assert seed_missing_articles() == []
    # A restart (a new app on the same database) neither duplicates nor overwrites.
    close_database(db)
    make_app(database_url, tmp_path / "attachments")
    assert HelpArticle.select().count() == len(shipped)
    title = people.anonymous.get("/api/v1/help/articles/contact-support").json["title"]
    assert title == edited["title"]


def test_a_newly_published_article_comes_first_and_counts_where_written(people):
    def counts(locale):
        items = people.anonymous.get("/api/v1/help/categories", query_string={"locale": locale}).json["items"]
        return {i["slug"]: i["article_count"] for i in items}

    before_en, before_es = counts("en"), counts("es")
    people.writer.post("/api/v1/agent/help/articles", json=NEW_ARTICLE)
    assert counts("en") == before_en  # a draft is not counted
    people.writer.post("/api/v1/agent/help/articles/rotate-api-keys/publish")
    assert counts("en")["account_security"] == before_en["account_security"] + 1
    assert counts("es") == before_es  # written in English only
    listed = people.anonymous.get("/api/v1/help/articles", query_string={"q": "", "locale": "en"}).json["items"]
    assert listed[0]["slug"] == "rotate-api-keys"
