"""The agents' side of the help center: every article with its drafts and votes;
agents with the editor role write, edit and publish."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from services.tickets.core.access import agents_only, require_role
from services.tickets.help_center import articles as help_articles
from services.tickets.help_center import votes as help_votes
from services.tickets.help_center.models import HelpArticle
from services.tickets.help_center.schemas import (
    ArticleCreateSchema,
    ArticleUpdateSchema,
    EditorArticleOut,
    EditorArticlePageOut,
    EditorListQuery,
)
from services.tickets.models import db
from shared.pagination import keyset_page
from shared.web import Blueprint, load_body

blp = Blueprint("help_editor", __name__, url_prefix="/api/v1/agent/help",
                description="Agents: help articles, drafts and votes")

EDITOR_ROLE = "editor"


blp.before_request(agents_only)


def require_editor():
    return require_role(EDITOR_ROLE, "Only agents with the editor role write help articles.")


@blp.route("/articles")
class EditorArticles(MethodView):
    @blp.arguments(EditorListQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, EditorArticlePageOut)
    def get(self, args):
        """Every article, drafts included, with its translations and vote counts, by category and slug."""
        query = HelpArticle.select()
        if args["status"]:
            query = query.where(HelpArticle.status == args["status"])
        if args["category"]:
            query = query.where(HelpArticle.category == args["category"])
        rows, next_cursor = keyset_page(query, [HelpArticle.category, HelpArticle.slug], args["limit"], args["cursor"],
                                        descending=False)
        votes = help_votes.vote_counts([article.id for article in rows])
        return {"items": [help_articles.editor_dict(article, votes[article.id]) for article in rows],
                "next_cursor": next_cursor}

    @blp.doc(requestBody={"content": {"application/json": {"schema": ArticleCreateSchema}}})
    @blp.response(201, EditorArticleOut)
    def post(self):
        """Write a new article (a draft); English is required, other languages fall back to it."""
        editor = require_editor()
        fields, _ = load_body(ArticleCreateSchema(), allow_multipart=False)
        with db.atomic():
            article = help_articles.create_article(fields, editor)
        return help_articles.editor_dict(article)


@blp.route("/articles/<string:slug>")
class EditorArticle(MethodView):
    @blp.response(200, EditorArticleOut)
    def get(self, slug):
        """One article as the editors see it."""
        return help_articles.editor_dict(help_articles.any_article(slug))

    @blp.doc(requestBody={"content": {"application/json": {"schema": ArticleUpdateSchema}}})
    @blp.response(200, EditorArticleOut)
    def put(self, slug):
        """Change the category, or write or rewrite some languages (the others stay as they are)."""
        editor = require_editor()
        fields, _ = load_body(ArticleUpdateSchema(), allow_multipart=False)
        with db.atomic():
            article = help_articles.update_article(help_articles.any_article(slug), fields, editor)
        return help_articles.editor_dict(article)


@blp.route("/articles/<string:slug>/publish")
class Publish(MethodView):
    @blp.response(200, EditorArticleOut)
    def post(self, slug):
        """Show the article in the help center."""
        editor = require_editor()
        with db.atomic():
            article = help_articles.set_status(help_articles.any_article(slug), "published", editor)
        return help_articles.editor_dict(article)


@blp.route("/articles/<string:slug>/unpublish")
class Unpublish(MethodView):
    @blp.response(200, EditorArticleOut)
    def post(self, slug):
        """Take the article back to draft."""
        editor = require_editor()
        with db.atomic():
            article = help_articles.set_status(help_articles.any_article(slug), "draft", editor)
        return help_articles.editor_dict(article)
