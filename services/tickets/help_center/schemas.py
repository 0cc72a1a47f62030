"""Request and response schemas of the help center."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.tickets.core.schemas import StrictSchema
from services.tickets.help_center.models import CATEGORIES, STATUSES
from services.tickets.help_center.text import normalize_locale
from shared import clock
from shared.locales import LOCALES
from shared.openapi import NOT_BLANK_PATTERN
from shared.pagination import cursor_field, limit_field

MAX_QUERY = 200  # a search box question
MAX_SUGGESTION_TEXT = 2000  # the subject and the start of a ticket being written
SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Lower-case letters, digits and single hyphens.")
# A position in a ranking (help_center.api.page_of), not a keyset cursor.
CURSOR = validate.Regexp(r"^\d{1,6}$", error="Not a valid cursor.")


class Locale(fields.String):
    """A supported language: en, es or zh-Hant (regional forms such as es-MX or zh-TW are accepted)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metadata = {"enum": [*LOCALES, None] if self.allow_none else list(LOCALES),
                         "description": "en, es or zh-Hant; regional forms such as es-MX or zh-TW are accepted too",
                         **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs):
        locale = normalize_locale(super()._deserialize(value, attr, data, **kwargs))
        if locale is None:
            raise ma.ValidationError(f"Unknown language; use one of {', '.join(LOCALES)}.")
        return locale


class SearchText(fields.String):
    """Text to search with: not blank, not longer than `max_length`."""

    def __init__(self, max_length: int, *, blank_is_none: bool = False, **kwargs):
        super().__init__(validate=validate.Length(max=max_length,
                                                  error=f"At most {max_length} characters."), **kwargs)
        self.blank_is_none = blank_is_none
        if not blank_is_none:
            self.metadata = {"pattern": NOT_BLANK_PATTERN, **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            if self.blank_is_none:
                return None
            raise ma.ValidationError("Type something to search for.")
        return text.strip()

    def _validate(self, value):
        if value is not None:
            super()._validate(value)


class JsonBoolean(fields.Boolean):
    """JSON `true` or `false` only: not "yes", not 1."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class NoMarkup(validate.Validator):
    def __call__(self, value: str) -> str:
        if "<" in value or ">" in value:
            raise ma.ValidationError("Titles are plain text; remove the < and > characters.")
        return value


class ArticleSearchQuery(ma.Schema):
    # An empty search box browses: every article, newest first (the contract).
    q = SearchText(MAX_QUERY, load_default=None, blank_is_none=True,
                   metadata={"description": "Words to rank by; empty or absent lists the newest first"})
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    sort = fields.String(load_default="newest", validate=validate.OneOf(["newest", "popular"]), metadata={
        "description": "Without `q`: `newest` first, or `popular` (most often found helpful) first"})
    locale = Locale(load_default=None)
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))
    cursor = fields.String(load_default=None, validate=CURSOR)


class ArticleQuery(ma.Schema):
    locale = Locale(load_default=None)


class CategoryQuery(ma.Schema):
    locale = Locale(load_default=None)


class CategoryOut(ma.Schema):
    slug = fields.String()
    title = fields.String()
    article_count = fields.Integer(metadata={"description": "Published articles written in the language"})


class CategoryListOut(ma.Schema):
    items = fields.List(fields.Nested(CategoryOut))


class SuggestionQuery(ma.Schema):
    text = SearchText(MAX_SUGGESTION_TEXT, required=True)
    locale = Locale(load_default=None)
    limit = fields.Integer(load_default=3, validate=validate.Range(min=1, max=10))


class VoteSchema(StrictSchema):
    helpful = JsonBoolean(required=True)
    locale = Locale(load_default=None)


class TranslationIn(StrictSchema):
    title = fields.String(required=True, validate=[validate.Length(min=3, max=200), NoMarkup()],
                          metadata={"pattern": "^[^<>]*$"})
    body = fields.String(required=True, validate=validate.Length(min=1, max=50_000))
    keywords = fields.String(load_default="", validate=validate.Length(max=500))


class Translations(fields.Dict):
    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(validate=validate.OneOf(LOCALES)), values=fields.Nested(TranslationIn),
                         **kwargs)
        translation = {"$ref": "#/components/schemas/TranslationIn"}
        self.metadata = {"openapi": {"properties": dict.fromkeys(LOCALES, translation),
                                     "additionalProperties": False}, **self.metadata}


class ArticleCreateSchema(StrictSchema):
    slug = fields.String(required=True, validate=[validate.Length(min=3, max=80), SLUG])
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    translations = Translations(required=True, validate=validate.Length(min=1))


class ArticleUpdateSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        openapi = {"anyOf": [{"required": ["category"], "properties": {"category": {"type": "string"}}},
                             {"required": ["translations"], "properties": {"translations": {"minProperties": 1}}}]}

    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    translations = Translations(load_default=None)

    @ma.validates_schema
    def _something(self, data, **_):
        if not data.get("category") and not data.get("translations"):
            raise ma.ValidationError("Change the category or a translation.", "_schema")


class EditorListQuery(ma.Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    limit = limit_field(default=50)
    cursor = cursor_field(2)


class ArticleOut(ma.Schema):
    slug = fields.String()
    title = fields.String()
    category = fields.String()
    locale = fields.String()
    body = fields.String(metadata={"description": "Sanitised HTML"})
    summary = fields.String()
    available_locales = fields.List(fields.String())
    updated_at = fields.String()


class FoundArticleOut(ArticleOut):
    score = fields.Float(metadata={"description": "Relevance to `q` (higher is better); absent when browsing"})


class ArticlePageOut(ma.Schema):
    items = fields.List(fields.Nested(FoundArticleOut))
    next_cursor = fields.String(allow_none=True)


class VoteCountsOut(ma.Schema):
    helpful = fields.Integer()
    not_helpful = fields.Integer()


class TranslationOut(ma.Schema):
    title = fields.String()
    keywords = fields.String()
    body = fields.String()
    updated_at = fields.String()


class EditorArticleOut(ArticleOut):
    status = fields.String()
    origin = fields.String()
    created_at = fields.String()
    published_at = fields.String(allow_none=True)
    votes = fields.Nested(VoteCountsOut)
    translations = fields.Dict(keys=fields.String(), values=fields.Nested(TranslationOut))


class EditorArticlePageOut(ma.Schema):
    items = fields.List(fields.Nested(EditorArticleOut))
    next_cursor = fields.String(allow_none=True)


class VoteOut(ma.Schema):
    slug = fields.String()
    helpful = fields.Boolean()


class NoticeQuery(ma.Schema):
    locale = Locale(load_default=None)


class NoticeIn(StrictSchema):
    """A notice as an editor writes it (PUT replaces every field)."""

    title = fields.String(required=True, validate=[validate.Length(min=1, max=200), NoMarkup()],
                          metadata={"pattern": "^[^<>]*$"})
    body = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    locale = fields.String(required=True, validate=validate.OneOf(LOCALES))
    starts_at = fields.AwareDateTime(required=True, default_timezone=None)
    ends_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=None,
                                   metadata={"description": "After starts_at; null: shown until changed"})

    @ma.post_load
    def _utc(self, data, **_):
        for key in ("starts_at", "ends_at"):
            if data.get(key) is not None:
                data[key] = clock.to_naive_utc(data[key])
        return data

    @ma.validates_schema
    def _ends_after_it_starts(self, data, **_):
        if data.get("ends_at") and data.get("starts_at") and data["ends_at"] <= data["starts_at"]:
            raise ma.ValidationError("A notice ends after it starts.", "ends_at")


class NoticeOut(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String(metadata={"description": "Plain text"})
    locale = fields.String()
    starts_at = fields.String()
    ends_at = fields.String(allow_none=True)


class NoticeListOut(ma.Schema):
    items = fields.List(fields.Nested(NoticeOut))
