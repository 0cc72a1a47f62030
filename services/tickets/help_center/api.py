"""The help center's public endpoints: ranked search, articles, suggestions for a
ticket being written, and "was this helpful?" votes. Open to everyone, logged in or not."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from services.tickets.help_center import articles as help_articles
from services.tickets.help_center import votes as help_votes
from services.tickets.help_center.schemas import (
    ArticleOut,
    ArticlePageOut,
    ArticleQuery,
    ArticleSearchQuery,
    CategoryListOut,
    CategoryQuery,
    SuggestionQuery,
    VoteOut,
    VoteSchema,
)
from services.tickets.help_center.text import guess_locale, normalize_locale
from services.tickets.models import db
from shared.locales import DEFAULT_LOCALE
from shared.web import Blueprint, current_caller

blp = Blueprint("help", __name__, url_prefix="/api/v1/help", description="The help center")


def reader_locale(requested: str | None, text: str | None = None) -> str:
    """The language asked for, else the question's own language, else the caller's."""
    if requested:
        return requested
    fallback = normalize_locale(current_caller().locale) or DEFAULT_LOCALE
    return guess_locale(text, fallback) if text else fallback


def page_of(items: list, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """A page of a ranking made here, not in the database (relevance to a question, or titles in the
    reader's language with English where missing), so the cursor is a position in it: a help center
    has hundreds of articles, all ranked at once."""
    start = int(cursor or 0)
    end = start + limit
    return items[start:end], (str(end) if end < len(items) else None)


def found_dicts(found: list[help_articles.Found]) -> list[dict]:
    rows = help_articles.articles_dicts([(f.article, f.translation) for f in found])
    return [dict(row, score=round(f.score, 4)) for row, f in zip(rows, found, strict=True)]


@blp.route("/articles")
class Articles(MethodView):
    @blp.arguments(ArticleSearchQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, ArticlePageOut)
    def get(self, args):
        """Published articles: ranked by relevance to `q`, or all of them (of a category) newest first."""
        locale = reader_locale(args["locale"], args["q"])
        if args["q"] is None:
            pairs, next_cursor = page_of(help_articles.browse(locale, args["category"], args["sort"]), args["limit"],
                                         args["cursor"])
            return {"items": help_articles.articles_dicts(pairs), "next_cursor": next_cursor}
        found, next_cursor = page_of(help_articles.search(args["q"], locale, args["category"]), args["limit"],
                                     args["cursor"])
        return {"items": found_dicts(found), "next_cursor": next_cursor}


@blp.route("/categories")
class Categories(MethodView):
    @blp.arguments(CategoryQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, CategoryListOut)
    def get(self, args):
        """The help categories, titled in `locale`, with the number of published articles written in it."""
        return {"items": help_articles.categories(reader_locale(args["locale"]))}


@blp.route("/articles/<string:slug>")
class Article(MethodView):
    @blp.arguments(ArticleQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, ArticleOut)
    def get(self, args, slug):
        """One published article, in `locale` where written, otherwise in English."""
        article = help_articles.published(slug)
        return help_articles.article_dict(article, help_articles.translation_for(article, reader_locale(args["locale"])))


@blp.route("/suggestions")
class Suggestions(MethodView):
    @blp.arguments(SuggestionQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, ArticlePageOut)
    def get(self, args):
        """The articles likely to answer a ticket being written (`text`: its subject and description)."""
        found = help_articles.search(args["text"], reader_locale(args["locale"], args["text"]))
        return {"items": found_dicts(found[:args["limit"]]), "next_cursor": None}


@blp.route("/articles/<string:slug>/votes")
class Votes(MethodView):
    @blp.arguments(VoteSchema)
    @blp.response(201, VoteOut)
    def post(self, fields, slug):
        """"Was this helpful?": one vote per logged-in person or guest (a new vote replaces theirs)."""
        with db.atomic():
            article = help_articles.published(slug)
            vote = help_votes.vote(article, current_caller(), fields["helpful"],
                                      reader_locale(fields["locale"]))
        return {"slug": article.slug, "helpful": vote.helpful}
