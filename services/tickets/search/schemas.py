"""Request and response schemas of the agents' search and tags."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.tickets.core.schemas import AgentTicketOut, StrictSchema
from services.tickets.search import tags as ticket_tags
from shared.openapi import NOT_BLANK_PATTERN
from shared.pagination import limit_field


class TagsSchema(StrictSchema):
    tags = fields.List(fields.String(validate=validate.Length(max=200),
                                     metadata={"pattern": rf"^ *[A-Za-z0-9_-]{{1,{ticket_tags.MAX_LENGTH}}} *$"}),
                       required=True, validate=validate.Length(max=ticket_tags.MAX_TAGS),
                       metadata={"description": f"The ticket's whole set of tags (at most {ticket_tags.MAX_TAGS}; "
                                                f"each 1-{ticket_tags.MAX_LENGTH} letters, digits, `-` or `_`, "
                                                "stored trimmed and in lower case)."})

    @ma.validates("tags")
    def _check(self, value, **_):
        problems = ticket_tags.problems(value)
        if problems:
            raise ma.ValidationError(problems)

    @ma.post_load
    def _normalize(self, data, **_):
        return {"tags": ticket_tags.normalized(data["tags"])}


class SearchQuery(ma.Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200),
                      metadata={"pattern": NOT_BLANK_PATTERN,
                                "description": "A ticket number, TXID, order number, requester email, tag, "
                                               "or words of the subject and messages."})
    limit = limit_field(20, 50)

    @ma.validates("q")
    def _not_blank(self, value, **_):
        if not value.strip():
            raise ma.ValidationError("Say what to look for.")


class SearchResultOut(ma.Schema):
    items = fields.List(fields.Nested(AgentTicketOut))
    next_cursor = fields.String(allow_none=True, metadata={"description": "Always null: results are ranked; "
                                                                           "ask for a larger `limit` instead."})
