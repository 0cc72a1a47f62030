"""Response schemas of the requester's context."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields


class RecentTicketOut(ma.Schema):
    number = fields.String()
    subject = fields.String()
    category = fields.String()
    status = fields.String()
    created_at = fields.String()


class TicketsOut(ma.Schema):
    open = fields.Integer(metadata={"description": "Open or awaiting the customer"})
    total = fields.Integer()
    recent = fields.List(fields.Nested(RecentTicketOut), metadata={"description": "The latest others"})


class VideoCallOut(ma.Schema):
    id = fields.Integer()
    ticket_number = fields.String()
    status = fields.String(metadata={"description": "proposed, booked, completed, cancelled or no_show"})
    slot_start = fields.String(allow_none=True)
    at = fields.String(metadata={"description": "When it last changed"})


class VideoCallsOut(ma.Schema):
    total = fields.Integer()
    last = fields.Nested(VideoCallOut, allow_none=True)
    recent = fields.List(fields.Nested(VideoCallOut))


class ReferralOut(ma.Schema):
    eligible = fields.Boolean(allow_none=True, metadata={"description": "null until the program reports"})
    reason = fields.String(allow_none=True, metadata={"description": "sub_account, restricted_region or unknown"})
    invitees = fields.Integer()
    boxes_earned = fields.Integer()
    rewards_credited = fields.Integer()


class RequesterOut(ma.Schema):
    id = fields.Integer()
    email = fields.String()
    locale = fields.String()
    region = fields.String(allow_none=True)
    is_sub_account = fields.Boolean(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    registered_at = fields.String(allow_none=True)
    tickets = fields.Nested(TicketsOut)
    video_calls = fields.Nested(VideoCallsOut)
    referral = fields.Nested(ReferralOut)


class ContextOut(ma.Schema):
    requester = fields.Nested(RequesterOut, metadata={"description": "An account's ticket"})
    guest = fields.Boolean(metadata={"description": "A guest's ticket: true"})
    email = fields.String(metadata={"description": "A guest's ticket: the guest's email"})
    tickets = fields.Nested(TicketsOut, metadata={"description": "A guest's ticket: their tickets"})
    video_calls = fields.Nested(VideoCallsOut, metadata={"description": "A guest's ticket: their video calls"})
