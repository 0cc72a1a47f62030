"""The articles the product ships, read from `content/` and inserted on start
when missing. Articles already present (shipped earlier, or edited since) are left
alone, so editors' changes survive restarts and upgrades.

Layout: `content/<category>/<slug>/<locale>.html`, each file a header of
`title:` and `keywords:` lines, a line `---`, then the body in restricted HTML.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import peewee

from services.tickets.help_center import articles as help_articles
from services.tickets.help_center.models import CATEGORIES, HelpArticle
from services.tickets.models import db
from shared.errors import ApiError
from shared.locales import DEFAULT_LOCALE, LOCALES

log = logging.getLogger(__name__)

CONTENT_DIR = Path(__file__).parent / "content"


@dataclass(frozen=True)
class ShippedArticle:
    slug: str
    category: str
    translations: dict  # locale -> {title, keywords, body}


def parse_article_file(path: Path) -> dict:
    header, separator, body = path.read_text(encoding="utf-8").partition("\n---\n")
    if not separator:
        raise ValueError(f"{path}: no '---' line between the header and the body")
    fields = {}
    for line in header.splitlines():
        if line.strip():
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    if not fields.get("title") or not body.strip():
        raise ValueError(f"{path}: a title and a body are required")
    return {"title": fields["title"], "keywords": fields.get("keywords", ""), "body": body.strip()}


@lru_cache(maxsize=4)
def load_shipped_articles(directory: Path = CONTENT_DIR) -> tuple[ShippedArticle, ...]:
    articles = []
    for article_dir in sorted(p for p in directory.glob("*/*") if p.is_dir()):
        category, slug = article_dir.parent.name, article_dir.name
        if category not in CATEGORIES:
            raise ValueError(f"{article_dir}: unknown category {category!r}")
        translations = {path.stem: parse_article_file(path) for path in sorted(article_dir.glob("*.html"))}
        unknown = set(translations) - set(LOCALES)
        if unknown or DEFAULT_LOCALE not in translations:
            raise ValueError(f"{article_dir}: needs {DEFAULT_LOCALE}.html and only {', '.join(LOCALES)}")
        articles.append(ShippedArticle(slug, category, translations))
    return tuple(articles)


def seed_missing_articles(articles: tuple[ShippedArticle, ...] | None = None) -> list[str]:
    """Insert, published, the shipped articles whose slug is not in the database yet."""
    articles = load_shipped_articles() if articles is None else articles
    present = {slug for (slug,) in HelpArticle.select(HelpArticle.slug).tuples()}
    inserted = []
    with db.atomic():  # one commit; a savepoint per article
        for shipped in articles:
            if shipped.slug in present:
                continue
            try:
                with db.atomic():
                    help_articles.create_article(
                        {"slug": shipped.slug, "category": shipped.category, "translations": shipped.translations},
                        None, status="published", origin="shipped")
            except (peewee.IntegrityError, ApiError):
                continue  # another replica inserted it first
            inserted.append(shipped.slug)
    if inserted:
        log.info("help articles seeded", extra={"articles": inserted})
    return inserted
