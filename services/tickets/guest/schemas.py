"""Request and response schemas of the guests' endpoints."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.tickets.core.schemas import StrictSchema, TicketCreateSchema


class GuestTicketCreateSchema(TicketCreateSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class LinkSchema(StrictSchema):
    t = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class SessionSchema(LinkSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=20))


class GuestTicketCreatedOut(ma.Schema):
    number = fields.String()
    status = fields.String()


class CodeSentOut(ma.Schema):
    expires_in = fields.Integer(metadata={"description": "Seconds the code stays valid"})
    resend_after = fields.Integer(metadata={"description": "Seconds before another code may be sent"})


class GuestSessionOut(ma.Schema):
    """What the guest gets from the gateway: `guest_token`, `expires_in` and the guest cookie."""

    ticket_number = fields.String()
    guest_token = fields.String(metadata={"description": "Signed by the gateway: `Authorization: Bearer` "
                                                         "for this one ticket (also set as an HttpOnly cookie)"})
    expires_in = fields.Integer(metadata={"description": "Seconds the guest session lasts (24 hours)"})
    guest_grant = fields.Dict(data_key="_guest_grant", metadata={
        "description": "Between the service and the gateway only: the gateway replaces it with the token"})
