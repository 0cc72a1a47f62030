"""Request and response schemas of the agent workspace: the directory, the agent's status, macros."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.tickets.core.schemas import MessageOut
from services.tickets.workspace.models import AGENT_STATUSES, MACRO_KINDS
from shared.locales import LOCALES
from shared.openapi import NOT_BLANK_PATTERN

MAX_MACRO_BODY = 5000


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class AgentOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    tier = fields.String()
    department = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    status = fields.String(metadata={"description": "available or away; only available agents get tickets "
                                                    "by auto-assignment"})
    active = fields.Boolean()
    open_assigned = fields.Integer(metadata={"description": "tickets open or awaiting the customer held by the agent"})
    last_assigned_at = fields.String(allow_none=True)


class AgentListOut(ma.Schema):
    items = fields.List(fields.Nested(AgentOut))
    next_cursor = fields.String(allow_none=True, metadata={"description": "always null: one page"})


class StatusSchema(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(AGENT_STATUSES))


# Some text that is not only spaces, said the same way to JSON Schema's regular expressions and Python's.
NOT_BLANK = validate.Regexp(r"[\s\S]*" + NOT_BLANK_PATTERN, error="Write some text.")
BODY = [validate.Length(min=1, max=MAX_MACRO_BODY), NOT_BLANK]


class MacroBodiesSchema(StrictSchema):
    en = fields.String(required=True, validate=BODY)
    es = fields.String(load_default=None, allow_none=True, validate=BODY)
    zh_hant = fields.String(load_default=None, allow_none=True, validate=BODY, data_key="zh-Hant", attribute="zh-Hant")


class MacroSchema(StrictSchema):
    title = fields.String(required=True, validate=[validate.Length(min=1, max=120), NOT_BLANK])
    kind = fields.String(required=True, validate=validate.OneOf(MACRO_KINDS))
    resolve = fields.Boolean(load_default=False, metadata={"description": "resolve the ticket after the message"})
    bodies = fields.Nested(MacroBodiesSchema, required=True,
                           metadata={"description": "`{{customer_name}}`, `{{ticket_number}}` and `{{agent_name}}` "
                                                    "are filled in; `en` is required, the others fall back to it"})


class BodiesOut(ma.Schema):
    en = fields.String()
    es = fields.String(allow_none=True)
    zh_hant = fields.String(allow_none=True, attribute="zh-Hant", data_key="zh-Hant")


class MacroOut(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    resolve = fields.Boolean()
    bodies = fields.Nested(BodiesOut)
    body = fields.String(metadata={"description": "with `?locale=`: the body in that language, else in English"})
    has_locale = fields.Boolean(metadata={"description": "with `?locale=`: written in that language"})
    updated_at = fields.String()


class MacroListOut(ma.Schema):
    items = fields.List(fields.Nested(MacroOut))
    next_cursor = fields.String(allow_none=True, metadata={"description": "always null: one page"})


class MacroListQuery(ma.Schema):
    locale = fields.String(load_default=None, validate=validate.OneOf(LOCALES))


class MacroUseSchema(StrictSchema):
    body = fields.String(load_default=None, allow_none=True, validate=[validate.Length(min=1, max=10000), NOT_BLANK],
                         metadata={"description": "the text the agent edited from the preview; default: the "
                                                  "macro's, filled in"})


class MacroPreviewOut(ma.Schema):
    macro_id = fields.Integer()
    kind = fields.String()
    resolve = fields.Boolean()
    locale = fields.String()
    body = fields.String()


class MacroUsedOut(ma.Schema):
    message = fields.Nested(MessageOut)
    ticket_status = fields.String(metadata={"description": "the ticket's status after the macro"})
