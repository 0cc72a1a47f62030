"""Request and response schemas of the tickets API."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.tickets.core.models import CATEGORIES, STATUSES
from shared.locales import LOCALES
from shared.openapi import NOT_BLANK_PATTERN, comma_separated_pattern
from shared.pagination import cursor_field, limit_field

TXID = validate.Regexp(r"^[A-Za-z0-9:_\-]{8,128}$", error="Not a transaction ID.")
ORDER_ID = validate.Regexp(r"^[A-Za-z0-9_\-]{1,64}$", error="Not an order number.")
DEPARTMENT = validate.Regexp(r"^[a-z][a-z0-9_\-]{1,49}$", error="Not a department name.")


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class TicketCreateSchema(StrictSchema):
    subject = fields.String(required=True, validate=validate.Length(min=3, max=200))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    description = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    txid = fields.String(load_default=None, allow_none=True, validate=TXID)
    order_id = fields.String(load_default=None, allow_none=True, validate=ORDER_ID)
    occurred_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=None)
    locale = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LOCALES))


class MessageCreateSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        # workflow.add_message: some text, or a file (multipart only)
        openapi = {"required": ["body"]}
        openapi_form = {"anyOf": [{"required": ["body"]},
                                  {"required": ["files"], "properties": {"files": {"minItems": 1}}}]}

    body = fields.String(load_default="", validate=validate.Length(max=10000),
                         metadata={"pattern": NOT_BLANK_PATTERN})


class WholeNumber(fields.Integer):
    """A whole number in JSON, or its digits in a form field: never 1.5, `true` or ` 7`."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class AgentMessageCreateSchema(MessageCreateSchema):
    kind = fields.String(load_default="reply", validate=validate.OneOf(["reply", "info_request", "note"]))
    seen_message_id = WholeNumber(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "The newest message the agent has seen: a newer public message refuses a reply "
                                 "or request for details (409 `ticket_changed`)"})
    force = fields.Boolean(load_default=False, metadata={"description": "Send even if the ticket changed"})


class RedactionCreateSchema(StrictSchema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=500),
                                                    validate.Regexp(r"[\s\S]*\S", error="Say why.")])


class EscalationCreateSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))
    department = fields.String(load_default=None, allow_none=True, validate=DEPARTMENT)


class AssignSchema(StrictSchema):
    agent_id = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(min=1))


def _statuses(value: str) -> bool:
    return all(part in STATUSES for part in value.split(","))


class TicketListQuery(ma.Schema):
    status = fields.String(load_default=None, metadata={"pattern": comma_separated_pattern(STATUSES)})
    cursor = cursor_field(2)
    limit = limit_field()

    @ma.validates("status")
    def _check_status(self, value, **_):
        if value is not None and not _statuses(value):
            raise ma.ValidationError(f"Unknown status; use one or more of {', '.join(STATUSES)}.")


class AgentQueueQuery(TicketListQuery):
    tier = fields.String(load_default=None, validate=validate.OneOf(["standard", "senior"]))
    department = fields.String(load_default=None, validate=DEPARTMENT)
    assignee = fields.String(load_default=None, validate=validate.Regexp(r"^(me|none|\d{1,12})$"))
    min_age_hours = fields.Integer(load_default=None, validate=validate.Range(min=0, max=24 * 365))
    escalated = fields.Boolean(load_default=None)
    tag = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    sort = fields.String(load_default=None, validate=validate.OneOf(["sla"]),
                         metadata={"description": "`sla`: the earliest SLA due time first (then those without one)"})


class AttachmentOut(ma.Schema):
    id = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    url = fields.String()


class AuthorOut(ma.Schema):
    role = fields.String()
    name = fields.String()


class RedactionByOut(ma.Schema):
    id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)


class RedactionOut(ma.Schema):
    at = fields.String()
    by = fields.Nested(RedactionByOut)
    reason = fields.String(metadata={"description": "Internal: agents only"})


class MessageOut(ma.Schema):
    id = fields.Integer()
    author = fields.Nested(AuthorOut)
    kind = fields.String()
    body = fields.String(metadata={"description": "`[redacted]` once an agent redacted the message"})
    attachments = fields.List(fields.Nested(AttachmentOut))
    created_at = fields.String()
    redacted = fields.Boolean()
    redaction = fields.Nested(RedactionOut, metadata={"description": "Agents' view of a redacted message"})
    from_ticket = fields.String(metadata={"description": "On a message of a ticket merged into this one: that "
                                                         "ticket's number"})


class EscalationOut(ma.Schema):
    status = fields.String()
    reason = fields.String()
    tier = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    requested_at = fields.String()
    accepted_at = fields.String(allow_none=True)


class TicketOut(ma.Schema):
    number = fields.String()
    subject = fields.String()
    category = fields.String()
    status = fields.String()
    description = fields.String()
    txid = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    occurred_at = fields.String(allow_none=True)
    channel = fields.String()
    locale = fields.String()
    created_at = fields.String()
    updated_at = fields.String()
    escalation = fields.Nested(EscalationOut, allow_none=True)
    merged_into = fields.String(allow_none=True, metadata={
        "description": "The number of the ticket this one was merged into (it is then `closed`); null otherwise"})
    messages = fields.List(fields.Nested(MessageOut))
    satisfaction = fields.Dict(allow_none=True, metadata={"description": "{rating, comment, rated_at, "
                                                                        "changeable_until, locked} or null"})


class AssigneeOut(ma.Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True, metadata={"description": "null while the agent directory does not know it"})


class AgentTicketOut(TicketOut):
    tier = fields.String()
    department = fields.String(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    assignee = fields.Nested(AssigneeOut, allow_none=True)
    requester = fields.Dict()
    age_seconds = fields.Integer()
    tags = fields.List(fields.String())
    viewers = fields.List(fields.Nested("ViewerOut"), metadata={
        "description": "The other agents viewing or typing on this ticket now"})
    sla = fields.Dict(metadata={"description": "first_response, next_response, resolution: "
                                              "{due_at, achieved_at, breached, paused}"})
    sla_due_at = fields.String(allow_none=True, metadata={"description": "in the queue: the earliest due time"})


class TicketSummaryOut(ma.Schema):
    number = fields.String()
    subject = fields.String()
    status = fields.String()
    category = fields.String()


class TicketCreatedOut(ma.Schema):
    ticket = fields.Nested(TicketOut)
    similar_open_tickets = fields.List(fields.Nested(TicketSummaryOut))


class TicketPageOut(ma.Schema):
    items = fields.List(fields.Nested(TicketOut))
    next_cursor = fields.String(allow_none=True)


class MessageCreatedOut(ma.Schema):
    message = fields.Nested(MessageOut)


class RedactedOut(MessageCreatedOut):
    ticket_number = fields.String()


class AttachmentLimitsOut(ma.Schema):
    max_bytes = fields.Integer(metadata={"description": "The largest file, in bytes"})
    max_files = fields.Integer(metadata={"description": "The most files on one message"})
    types = fields.List(fields.String(), metadata={"description": "The media types accepted (by content)"})
    extensions = fields.List(fields.String(), metadata={"description": "Their file name extensions, e.g. `.png`"})


class LimitsOut(ma.Schema):
    attachments = fields.Nested(AttachmentLimitsOut)


class AgentTicketPageOut(ma.Schema):
    items = fields.List(fields.Nested(AgentTicketOut))
    next_cursor = fields.String(allow_none=True)


class ViewerAgentOut(ma.Schema):
    id = fields.Integer()
    name = fields.String()


class ViewerOut(ma.Schema):
    agent = fields.Nested(ViewerAgentOut)
    state = fields.String(metadata={"description": "`viewing` or `typing`"})
    since = fields.String(metadata={"description": "When the agent began this state"})
