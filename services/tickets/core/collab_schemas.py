"""Request and response schemas of the agents' presence and merge endpoints."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.tickets.core.presence import STATES
from services.tickets.core.schemas import StrictSchema, ViewerOut

NUMBER = validate.Regexp(r"^[0-9]{4,12}$", error="Not a ticket number.")


class PresenceSchema(StrictSchema):
    state = fields.String(required=True, validate=validate.OneOf(STATES))


class PresenceOut(ma.Schema):
    viewers = fields.List(fields.Nested(ViewerOut), metadata={"description": "The other agents on the ticket now"})
    last_public_message_id = fields.Integer(allow_none=True, metadata={
        "description": "The newest reply or request for details in the ticket's history: a page whose newest "
                       "differs reloads the ticket"})
    status = fields.String()
    merged_into = fields.String(allow_none=True)


class MergeSchema(StrictSchema):
    into = fields.String(required=True, validate=NUMBER,
                         metadata={"description": "The number of the ticket the conversation continues in"})
