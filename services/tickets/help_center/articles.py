"""What happens to help articles: writing, publishing, finding (ranked full-text
search with a fallback to English), showing (sanitised), and "was this helpful?"."""
from __future__ import annotations

from dataclasses import dataclass

import nh3
import peewee

from services.tickets.help_center import text as help_text
from services.tickets.help_center import votes as help_votes
from services.tickets.help_center.models import CATEGORIES, CATEGORY_TITLES, HelpArticle, HelpTranslation
from services.tickets.help_center.search import index_for
from services.tickets.models import db
from shared import clock
from shared.errors import ApiError, not_found
from shared.internal_auth import Caller
from shared.locales import DEFAULT_LOCALE, LOCALES

BODY_TAGS = {"p", "br", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "b", "i", "a", "code", "blockquote"}
BODY_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
SUMMARY_CHARS = 200
# A search answers with the articles that answer the question, not every one sharing a word:
# the best, then those scoring at least this share of it and matching a third of the question.
RELEVANCE_FLOOR = 0.5
RELEVANT_COVERAGE = 0.34


@dataclass(frozen=True)
class Found:
    """An article that a search found, in the language it is shown in."""

    article: HelpArticle
    translation: HelpTranslation
    score: float
    coverage: float  # how much of the question it matches, 0..1


def search_index():
    return index_for(db.obj)


def sanitize(body: str) -> str:
    """An article body as it may be shown: a small set of tags, no script, safe links."""
    return nh3.clean(body, tags=BODY_TAGS, attributes=BODY_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer nofollow")


def translation_for(article: HelpArticle, locale: str) -> HelpTranslation:
    """The article in `locale`, or in English when it is not written in that language."""
    rows = {t.locale: t for t in article.translations}
    return rows.get(locale) or rows[DEFAULT_LOCALE]


def published(slug: str) -> HelpArticle:
    article = HelpArticle.get_or_none((HelpArticle.slug == slug) & (HelpArticle.status == "published"))
    if article is None:
        raise not_found("article")
    return article


def any_article(slug: str) -> HelpArticle:
    article = HelpArticle.get_or_none(HelpArticle.slug == slug)
    if article is None:
        raise not_found("article")
    return article


def written_locales(article_ids: list[int]) -> dict[int, list[str]]:
    """The languages each article is written in, in the order of LOCALES."""
    locales: dict[int, list[str]] = {article_id: [] for article_id in article_ids}
    if article_ids:
        rows = (HelpTranslation.select(HelpTranslation.article, HelpTranslation.locale)
                .where(HelpTranslation.article.in_(article_ids)).tuples())
        for article_id, locale in rows:
            locales[article_id].append(locale)
    return {article_id: sorted(found, key=LOCALES.index) for article_id, found in locales.items()}


def article_dict(article: HelpArticle, translation: HelpTranslation, locales: list[str] | None = None) -> dict:
    """An article as readers see it; `locales` (the languages it is written in) saves a query."""
    text = help_text.html_to_text(translation.body)
    if locales is None:
        locales = written_locales([article.id])[article.id]
    return {
        "slug": article.slug, "title": translation.title, "category": article.category,
        "locale": translation.locale, "body": sanitize(translation.body),
        "summary": text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…",
        "available_locales": locales,
        "updated_at": clock.isoformat(max(article.updated_at, translation.updated_at)),
    }


def articles_dicts(pairs: list[tuple[HelpArticle, HelpTranslation]]) -> list[dict]:
    locales = written_locales([article.id for article, _ in pairs])
    return [article_dict(article, translation, locales[article.id]) for article, translation in pairs]


def editor_dict(article: HelpArticle, votes: dict | None = None) -> dict:
    """The agents' view: every translation, the state, and the votes (`votes` saves a query)."""
    translations = sorted(article.translations, key=lambda t: LOCALES.index(t.locale))
    english = next(t for t in translations if t.locale == DEFAULT_LOCALE)
    data = article_dict(article, english, [t.locale for t in translations])
    data.update(
        status=article.status, origin=article.origin, created_at=clock.isoformat(article.created_at),
        published_at=clock.isoformat(article.published_at),
        votes=votes if votes is not None else help_votes.vote_counts([article.id])[article.id],
        translations={t.locale: {"title": t.title, "keywords": t.keywords, "body": sanitize(t.body),
                                 "updated_at": clock.isoformat(t.updated_at)} for t in translations},
    )
    return data


# -- finding ---------------------------------------------------------------------------------------

def search(text: str, locale: str, category: str | None = None) -> list[Found]:
    """Published articles that answer `text`, best first: those written in `locale`,
    then English-only articles that an English reading of the question finds."""
    found = _ranked(help_text.analyze(text, locale), category)
    if locale != DEFAULT_LOCALE:
        seen = {f.article.id for f in found}
        english = _ranked(help_text.analyze(text, DEFAULT_LOCALE), category, missing_locale=locale)
        found += [f for f in english if f.article.id not in seen]
    return [f for f in found if f is found[0] or (f.score >= RELEVANCE_FLOOR * found[0].score
                                                  and f.coverage >= RELEVANT_COVERAGE)]


def titled(text: str, locale: str) -> Found | None:
    """The published article whose title in `locale` (or English) is exactly `text`: a quick reply."""
    title = " ".join(text.split())
    row = (HelpTranslation.select(HelpTranslation, HelpArticle).join(HelpArticle)
           .where((HelpTranslation.title == title) & (HelpArticle.status == "published")
                  & HelpTranslation.locale.in_([locale, DEFAULT_LOCALE]))
           .order_by(HelpTranslation.locale != locale).first())
    return None if row is None else Found(row.article, row, 0.0, 1.0)


def _ranked(query: help_text.Query, category: str | None, missing_locale: str | None = None) -> list[Found]:
    if not query.terms:
        return []
    hits = {hit.translation_id: hit for hit in search_index().search(query)}
    if not hits:
        return []
    rows = (HelpTranslation.select(HelpTranslation, HelpArticle).join(HelpArticle)
            .where(HelpTranslation.id.in_(list(hits)) & (HelpArticle.status == "published")))
    if category:
        rows = rows.where(HelpArticle.category == category)
    if missing_locale:
        written = HelpTranslation.select(HelpTranslation.article).where(HelpTranslation.locale == missing_locale)
        rows = rows.where(HelpArticle.id.not_in(written))
    found = []
    for row in rows:
        hit = hits[row.id]
        coverage = query.coverage(hit.matched)
        # Matching more of the question beats matching one of its words often ("USDT" in every
        # referral article must not outrank the deposit article for "my USDT deposit"), and an
        # article whose title asks the question beats one that mentions its words on the way.
        titled = query.coverage(hit.titled)
        found.append(Found(row.article, row, hit.score * coverage ** 2 * (1 + titled) ** 2, coverage))
    found.sort(key=lambda f: (-f.score, f.translation.title))
    return found


def browse(locale: str, category: str | None = None,
           sort: str = "newest") -> list[tuple[HelpArticle, HelpTranslation]]:
    """Every published article (of a category), in `locale` where written, newest first (by the
    `updated_at` readers see, then slug so that equal times keep one order across pages); or,
    `popular`, those readers found helpful most often first (then newest)."""
    query = HelpArticle.select().where(HelpArticle.status == "published")
    if category:
        query = query.where(HelpArticle.category == category)
    articles = list(query)
    translations: dict[int, dict[str, HelpTranslation]] = {}
    if articles:
        for row in HelpTranslation.select().where(HelpTranslation.article.in_([a.id for a in articles])):
            translations.setdefault(row.article_id, {})[row.locale] = row
    pairs = []
    for article in articles:
        rows = translations.get(article.id, {})
        chosen = rows.get(locale) or rows.get(DEFAULT_LOCALE)
        if chosen is not None:
            pairs.append((article, chosen))
    pairs.sort(key=lambda pair: pair[0].slug)
    pairs.sort(key=lambda pair: max(pair[0].updated_at, pair[1].updated_at), reverse=True)
    if sort == "popular":
        votes = help_votes.vote_counts([article.id for article, _ in pairs])
        pairs.sort(key=lambda pair: votes[pair[0].id]["helpful"] - votes[pair[0].id]["not_helpful"], reverse=True)
    return pairs


def categories(locale: str) -> list[dict]:
    """Every help category with its title in `locale` and how many published articles are written in it."""
    counts = dict(HelpArticle.select(HelpArticle.category, peewee.fn.COUNT(HelpArticle.id))
                  .join(HelpTranslation)
                  .where((HelpArticle.status == "published") & (HelpTranslation.locale == locale))
                  .group_by(HelpArticle.category).tuples())
    return [{"slug": slug, "title": CATEGORY_TITLES[slug].get(locale) or CATEGORY_TITLES[slug][DEFAULT_LOCALE],
             "article_count": counts.get(slug, 0)} for slug in CATEGORIES]


# -- writing ---------------------------------------------------------------------------------------

def save_translation(article: HelpArticle, locale: str, fields: dict, *, new: bool = False) -> HelpTranslation:
    """Write one language of an article and bring the search index up to date."""
    values = {"title": fields["title"].strip(), "body": fields["body"], "keywords": fields.get("keywords") or "",
              "updated_at": clock.now()}
    translation = None if new else HelpTranslation.get_or_none((HelpTranslation.article == article)
                                                               & (HelpTranslation.locale == locale))
    if translation is None:
        translation = HelpTranslation.create(article=article, locale=locale, **values)
    else:
        for key, value in values.items():
            setattr(translation, key, value)
        translation.save()
    search_index().index(translation, new=new)
    return translation


def create_article(fields: dict, author: Caller | None, *, status: str = "draft",
                   origin: str = "editor") -> HelpArticle:
    if DEFAULT_LOCALE not in fields["translations"]:
        raise ApiError(400, "validation_error", "Some fields are missing or invalid.",
                       {"fields": {"translations": ["Write the English version first; other languages fall back to it."]}})
    if HelpArticle.select().where(HelpArticle.slug == fields["slug"]).exists():
        raise ApiError(409, "slug_taken", "An article with this slug already exists.", {"slug": fields["slug"]})
    now = clock.now()
    author_id = author.user_id if author else None
    try:
        with db.atomic():
            article = HelpArticle.create(slug=fields["slug"], category=fields["category"], status=status,
                                         origin=origin, created_by=author_id, updated_by=author_id,
                                         created_at=now, updated_at=now,
                                         published_at=now if status == "published" else None)
    except peewee.IntegrityError:
        raise ApiError(409, "slug_taken", "An article with this slug already exists.",
                       {"slug": fields["slug"]}) from None
    for locale, translation in fields["translations"].items():
        save_translation(article, locale, translation, new=True)
    return article


def update_article(article: HelpArticle, fields: dict, author: Caller) -> HelpArticle:
    if fields.get("category"):
        article.category = fields["category"]
    for locale, translation in (fields.get("translations") or {}).items():
        save_translation(article, locale, translation)
    article.updated_by = author.user_id
    article.updated_at = clock.now()
    article.save()
    return article


def set_status(article: HelpArticle, status: str, author: Caller) -> HelpArticle:
    if status == "published" and article.status != "published":
        article.published_at = clock.now()
    article.status = status
    article.updated_by = author.user_id
    article.updated_at = clock.now()
    article.save()
    return article
