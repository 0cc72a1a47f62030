"""The schemas of the events' `data`, one per payload shape: the catalogue (`shared/events.py`)
says which event type has which.

Consumers ignore fields they do not know yet, and fields added to a published version are
optional, so that producers and consumers of different releases keep understanding each other.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields


class _Data(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE  # consumers ignore fields they do not know yet


class Requester(_Data):
    """Who a ticket belongs to: an account, or a guest's email."""

    kind = fields.String(required=True, validate=ma.validate.OneOf(["user", "guest"]))
    user_id = fields.Integer(allow_none=True)
    email = fields.Email(allow_none=True)
    locale = fields.String(allow_none=True)


class UserRegistered(_Data):
    user_id = fields.Integer(required=True)
    email = fields.Email(required=True)
    locale = fields.String(required=True)
    region = fields.String(allow_none=True)
    referral_code = fields.String(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    registered_at = fields.String(required=True)


class UserProfileChanged(_Data):
    """An account's settings that others show or follow (its language, from `PUT /api/v1/me`)."""

    user_id = fields.Integer(required=True)
    locale = fields.String(required=True)


class AgentProfileChanged(_Data):
    """An agent account made or changed (`make create-agent`): the directory the services keep."""

    user_id = fields.Integer(required=True)
    email = fields.Email(required=True)
    name = fields.String(required=True)
    tier = fields.String(required=True)  # standard | senior
    department = fields.String(allow_none=True)
    roles = fields.List(fields.String(), load_default=list)  # editor, supervisor
    locale = fields.String(allow_none=True)
    active = fields.Boolean(load_default=True)


class AntiPhishingCodeChanged(_Data):
    """The personal code every email to the account shows (null: removed). A secret of the account: never logged."""

    user_id = fields.Integer(required=True)
    code = fields.String(allow_none=True)


class AppInstalled(_Data):
    user_id = fields.Integer(required=True)
    platform = fields.String(allow_none=True)
    device_id = fields.String(allow_none=True)


class ValueMoved(_Data):
    """A deposit or a buy, as the wallet or the trading engine reports it."""

    user_id = fields.Integer(required=True)
    usdt_value = fields.Decimal(required=True, as_string=True, places=None, validate=ma.validate.Range(min=0))
    asset = fields.String(allow_none=True)
    amount = fields.String(allow_none=True)
    tx_id = fields.String(allow_none=True)


class TicketRef(_Data):
    number = fields.String(required=True)
    subject = fields.String(required=True)
    category = fields.String(required=True)
    status = fields.String(required=True)
    requester = fields.Nested(Requester, required=True)
    # Optional, added later: consumers must cope with their absence.
    assignee_id = fields.Integer(allow_none=True)  # the agent who holds the ticket, if any
    tier = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    merged_into = fields.String(allow_none=True)  # set on a merged ticket's events (its closing): where it continues


class TicketCreated(TicketRef):
    channel = fields.String(load_default="web")


class TicketMessageAdded(TicketRef):
    message_id = fields.Integer(required=True)
    kind = fields.String(required=True)  # reply | info_request | note | event
    author_role = fields.String(required=True)  # customer | guest | agent | system | bot


class TicketStatusChanged(TicketRef):
    old_status = fields.String(required=True)
    new_status = fields.String(required=True)


class TicketEscalated(TicketRef):
    escalation_id = fields.Integer(required=True)


class TicketAssigned(TicketRef):
    """`assignee_id` (in TicketRef) is the new holder, null when the ticket went back to the queue."""

    previous_assignee_id = fields.Integer(allow_none=True)
    assigned_by = fields.String(required=True)  # auto | agent


class TicketMerged(TicketRef):
    """The source ticket (now closed), and the ticket its conversation continues in."""

    into_number = fields.String(required=True)
    into_subject = fields.String(required=True)


class TicketRated(TicketRef):
    rating = fields.String(required=True, validate=ma.validate.OneOf(["good", "bad"]))
    comment = fields.String(allow_none=True)
    changed = fields.Boolean(load_default=False)  # a rating given again within the window


class TicketSlaBreached(TicketRef):
    metric = fields.String(required=True,
                           validate=ma.validate.OneOf(["first_response", "next_response", "resolution"]))
    due_at = fields.String(required=True)


class GuestVerificationRequested(_Data):
    """A one-time code to send. The code is a secret: never logged."""

    purpose = fields.String(required=True)  # guest_ticket | video_calls
    address = fields.Email(required=True)
    code = fields.String(required=True)
    locale = fields.String(allow_none=True)
    ticket_number = fields.String(allow_none=True)


class TimeSlot(_Data):
    start = fields.String(required=True)
    end = fields.String(required=True)


class VideoCall(_Data):
    """A video call's change; `slot_start`/`slot_end` are the booked slot (null while none is booked)."""

    call_id = fields.Integer(required=True)
    ticket_number = fields.String(required=True)
    requester = fields.Nested(Requester, required=True)
    slot_start = fields.String(allow_none=True)
    slot_end = fields.String(allow_none=True)
    # Optional, added later: consumers must cope with their absence.
    status = fields.String(allow_none=True)  # proposed | booked | completed | cancelled | no_show
    slots = fields.List(fields.Nested(TimeSlot), allow_none=True)  # the offered slots
    booking_version = fields.Integer(allow_none=True)
    previous_slot_start = fields.String(allow_none=True)  # a moved or rebooked call's former slot
    previous_slot_end = fields.String(allow_none=True)
    join_opens_at = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)  # verified | not_verified | no_show (video.call_completed.v1)
    note = fields.String(allow_none=True)  # the agent's note on the outcome: for agents, never for customers
    reason = fields.String(allow_none=True)  # why the call was cancelled


class ReferralBoxGranted(_Data):
    box_id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    milestone = fields.String(required=True)
    # Optional, added later: consumers must cope with their absence.
    role = fields.String(allow_none=True)  # inviter | invitee


class ReferralRewardCredited(_Data):
    entry_id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    asset = fields.String(required=True)
    amount = fields.String(required=True)
    # Optional, added later: consumers must cope with their absence.
    entry_type = fields.String(allow_none=True)  # mystery_box_reward | fee_rebate_card (asset USDT)
    reference = fields.String(allow_none=True)  # what the entry pays, e.g. mystery_box:42


class ReferralMemberJoined(_Data):
    """The referral program took an account in: whether it may take part, and whose invitee it is."""

    user_id = fields.Integer(required=True)
    eligible = fields.Boolean(required=True)
    reason = fields.String(allow_none=True)  # sub_account | restricted_region, when not eligible
    inviter_id = fields.Integer(allow_none=True)  # the owner of the code it registered with
    counts_as_invitee = fields.Boolean(load_default=False)  # among the inviter's `invitees`
