"""The event catalogue and the envelope.

Types are `noun.past_tense_verb.vN`; each has one marshmallow schema for its
`data`. A published version's meaning never changes: a breaking change is a new
version published beside the old one.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import uuid

import marshmallow as ma
from marshmallow import fields

from shared import clock


class EventType(enum.StrEnum):
    USER_REGISTERED = "user.registered.v1"
    USER_APP_INSTALLED = "user.app_installed.v1"
    USER_ANTI_PHISHING_CODE_CHANGED = "user.anti_phishing_code_changed.v1"
    WALLET_DEPOSIT_COMPLETED = "wallet.deposit_completed.v1"
    TRADE_BUY_COMPLETED = "trade.buy_completed.v1"
    TICKET_CREATED = "ticket.created.v1"
    TICKET_MESSAGE_ADDED = "ticket.message_added.v1"
    TICKET_STATUS_CHANGED = "ticket.status_changed.v1"
    TICKET_ESCALATED = "ticket.escalated.v1"
    TICKET_ESCALATION_ACCEPTED = "ticket.escalation_accepted.v1"
    GUEST_VERIFICATION_REQUESTED = "guest.verification_requested.v1"
    VIDEO_CALL_PROPOSED = "video.call_proposed.v1"
    VIDEO_CALL_BOOKED = "video.call_booked.v1"
    VIDEO_CALL_RESCHEDULED = "video.call_rescheduled.v1"
    VIDEO_CALL_CANCELLED = "video.call_cancelled.v1"
    VIDEO_CALL_REMINDER_DUE = "video.call_reminder_due.v1"
    VIDEO_CALL_COMPLETED = "video.call_completed.v1"
    REFERRAL_BOX_GRANTED = "referral.box_granted.v1"
    REFERRAL_REWARD_CREDITED = "referral.reward_credited.v1"


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
    tier = fields.String(allow_none=True)
    department = fields.String(allow_none=True)


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


SCHEMAS: dict[EventType, type[ma.Schema]] = {
    EventType.USER_REGISTERED: UserRegistered,
    EventType.USER_APP_INSTALLED: AppInstalled,
    EventType.USER_ANTI_PHISHING_CODE_CHANGED: AntiPhishingCodeChanged,
    EventType.WALLET_DEPOSIT_COMPLETED: ValueMoved,
    EventType.TRADE_BUY_COMPLETED: ValueMoved,
    EventType.TICKET_CREATED: TicketCreated,
    EventType.TICKET_MESSAGE_ADDED: TicketMessageAdded,
    EventType.TICKET_STATUS_CHANGED: TicketStatusChanged,
    EventType.TICKET_ESCALATED: TicketEscalated,
    EventType.TICKET_ESCALATION_ACCEPTED: TicketEscalated,
    EventType.GUEST_VERIFICATION_REQUESTED: GuestVerificationRequested,
    EventType.VIDEO_CALL_PROPOSED: VideoCall,
    EventType.VIDEO_CALL_BOOKED: VideoCall,
    EventType.VIDEO_CALL_RESCHEDULED: VideoCall,
    EventType.VIDEO_CALL_CANCELLED: VideoCall,
    EventType.VIDEO_CALL_REMINDER_DUE: VideoCall,
    EventType.VIDEO_CALL_COMPLETED: VideoCall,
    EventType.REFERRAL_BOX_GRANTED: ReferralBoxGranted,
    EventType.REFERRAL_REWARD_CREDITED: ReferralRewardCredited,
}


class InvalidEvent(ValueError):
    """An envelope or its data does not match the catalogue."""


def validate_data(event_type: str, data: dict) -> dict:
    """Check `data` against the catalogue; returns it as JSON-ready values."""
    try:
        schema = SCHEMAS[EventType(event_type)]()
    except ValueError as exc:
        raise InvalidEvent(f"unknown event type {event_type!r}") from exc
    try:
        # Known fields in their canonical form; unknown ones kept for consumers that know them.
        return {**data, **schema.dump(schema.load(data))}
    except ma.ValidationError as exc:
        raise InvalidEvent(json.dumps(exc.messages)) from exc


@dataclasses.dataclass(frozen=True)
class Envelope:
    """`id, type, occurred_at, producer, correlation_id, data`: plain JSON on the wire."""

    id: str
    type: str
    occurred_at: str
    producer: str
    correlation_id: str | None
    data: dict

    @classmethod
    def new(cls, event_type: str, data: dict, producer: str, *,
            correlation_id: str | None = None, occurred_at: dt.datetime | None = None,
            event_id: str | None = None) -> Envelope:
        return cls(
            id=event_id or str(uuid.uuid4()),
            type=str(event_type),
            occurred_at=clock.isoformat(occurred_at or clock.now()),
            producer=producer,
            correlation_id=correlation_id,
            data=validate_data(event_type, data),
        )

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, raw: dict) -> Envelope:
        try:
            envelope = cls(
                id=str(uuid.UUID(str(raw["id"]))),
                type=str(raw["type"]),
                occurred_at=str(raw["occurred_at"]),
                producer=str(raw.get("producer") or "unknown"),
                correlation_id=raw.get("correlation_id"),
                data=dict(raw.get("data") or {}),
            )
            clock.parse_iso(envelope.occurred_at)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidEvent(f"malformed envelope: {exc}") from exc
        return dataclasses.replace(envelope, data=validate_data(envelope.type, envelope.data))

    @property
    def occurred(self) -> dt.datetime:
        return clock.parse_iso(self.occurred_at)
