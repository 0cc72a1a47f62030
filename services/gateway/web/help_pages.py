"""The help center's pages: its home (search, categories, popular articles, service notices),
a category, and an article with related articles and "was this helpful?". Rendered here from
the tickets service's public help API, so a page arrives whole (nothing shifts as it loads); a
page whose content the service cannot give says so instead of failing."""
from __future__ import annotations

import time
from urllib.parse import quote, urlencode

from flask import current_app

from services.gateway.upstream import client
from services.gateway.web.errors import page_error
from services.gateway.web.i18n import pick_language
from services.gateway.web.pages import blp, render, viewer
from shared.errors import ApiError

NOTICES_KEEP_SECONDS = 5.0  # an editor's new notice shows within seconds; pages do not each ask
POPULAR = 6
RELATED = 5


def help_api(path: str, **query) -> tuple[int, dict]:
    """A public help call: (status, body); (503, {}) when the tickets service cannot answer."""
    try:
        return client().json("tickets", "GET", path, None, query=urlencode({k: v for k, v in query.items() if v}))
    except ApiError:
        return 503, {}


def service_notices(lang: str) -> list[dict]:
    """The active service notices in `lang` ("BTC withdrawals delayed"), kept a few seconds."""
    kept = current_app.extensions.setdefault("service_notices", {})
    now = time.monotonic()
    if lang in kept and now - kept[lang][0] < NOTICES_KEEP_SECONDS:
        return kept[lang][1]
    status, body = help_api("/api/v1/help/notices", locale=lang)
    if status != 200:
        return kept.get(lang, (0, []))[1]
    kept[lang] = (now, body.get("items", []))
    return kept[lang][1]


blp.add_app_template_global(service_notices)


def reader_lang() -> str:
    user = viewer()
    return pick_language(user.locale if user else None)


@blp.get("/help")
def help_home():
    lang = reader_lang()
    categories_status, categories = help_api("/api/v1/help/categories", locale=lang)
    popular_status, popular = help_api("/api/v1/help/articles", locale=lang, sort="popular", limit=POPULAR)
    return render("help_home.html", "help", viewer(),
                  categories=[c for c in categories.get("items", []) if c["article_count"]],
                  popular=popular.get("items", []), unavailable=categories_status != 200 or popular_status != 200)


@blp.get("/help/categories/<slug>")
def help_category(slug: str):
    lang = reader_lang()
    status, categories = help_api("/api/v1/help/categories", locale=lang)
    if status != 200:
        return page_error(503)
    category = next((c for c in categories.get("items", []) if c["slug"] == slug), None)
    if category is None:
        return page_error(404)
    _, articles = help_api("/api/v1/help/articles", locale=lang, category=slug, limit=50)
    return render("help_category.html", "help_category", viewer(), category=category,
                  articles=articles.get("items", []))


@blp.get("/help/articles/<slug>")
def help_article(slug: str):
    lang = reader_lang()
    status, article = help_api(f"/api/v1/help/articles/{quote(slug[:80], safe='')}", locale=lang)
    if status == 404:
        return page_error(404)
    if status != 200:
        return page_error(503)
    _, categories = help_api("/api/v1/help/categories", locale=lang)
    category = next((c for c in categories.get("items", []) if c["slug"] == article["category"]), None)
    _, same = help_api("/api/v1/help/articles", locale=lang, category=article["category"], limit=RELATED + 1)
    related = [item for item in same.get("items", []) if item["slug"] != article["slug"]][:RELATED]
    return render("article.html", "article", viewer(), data={"slug": article["slug"]}, article=article,
                  category=category, related=related)
