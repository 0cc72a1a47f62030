"""The event catalogue and the envelope.

Types are `noun.past_tense_verb.vN`; each has one marshmallow schema for its
`data` (in `shared/event_schemas.py`) and says whether that data is a secret. A
published version's meaning never changes: a breaking change is a new version
published beside the old one.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import re
import uuid

import marshmallow as ma

from shared import clock, fastload
from shared import event_schemas as s


class EventType(enum.StrEnum):
    USER_REGISTERED = "user.registered.v1"
    USER_APP_INSTALLED = "user.app_installed.v1"
    USER_ANTI_PHISHING_CODE_CHANGED = "user.anti_phishing_code_changed.v1"
    USER_PROFILE_CHANGED = "user.profile_changed.v1"
    AGENT_PROFILE_CHANGED = "agent.profile_changed.v1"
    WALLET_DEPOSIT_COMPLETED = "wallet.deposit_completed.v1"
    TRADE_BUY_COMPLETED = "trade.buy_completed.v1"
    TICKET_CREATED = "ticket.created.v1"
    TICKET_MESSAGE_ADDED = "ticket.message_added.v1"
    TICKET_STATUS_CHANGED = "ticket.status_changed.v1"
    TICKET_ESCALATED = "ticket.escalated.v1"
    TICKET_ESCALATION_ACCEPTED = "ticket.escalation_accepted.v1"
    TICKET_ASSIGNED = "ticket.assigned.v1"
    TICKET_MERGED = "ticket.merged.v1"
    TICKET_RATED = "ticket.rated.v1"
    TICKET_SLA_BREACHED = "ticket.sla_breached.v1"
    GUEST_VERIFICATION_REQUESTED = "guest.verification_requested.v1"
    VIDEO_CALL_PROPOSED = "video.call_proposed.v1"
    VIDEO_CALL_BOOKED = "video.call_booked.v1"
    VIDEO_CALL_RESCHEDULED = "video.call_rescheduled.v1"
    VIDEO_CALL_CANCELLED = "video.call_cancelled.v1"
    VIDEO_CALL_REMINDER_DUE = "video.call_reminder_due.v1"
    VIDEO_CALL_COMPLETED = "video.call_completed.v1"
    REFERRAL_BOX_GRANTED = "referral.box_granted.v1"
    REFERRAL_REWARD_CREDITED = "referral.reward_credited.v1"
    REFERRAL_MEMBER_JOINED = "referral.member_joined.v1"


@dataclasses.dataclass(frozen=True)
class CatalogueEntry:
    """What the catalogue knows of an event type: the schema of its `data`, and whether that data
    holds a secret (a one-time code, the anti-phishing code), which nothing may keep readable
    once the event is delivered (the outbox blanks such rows after publishing them)."""

    schema: type[ma.Schema]
    secret: bool = False


CATALOGUE: dict[EventType, CatalogueEntry] = {
    EventType.USER_REGISTERED: CatalogueEntry(s.UserRegistered),
    EventType.USER_APP_INSTALLED: CatalogueEntry(s.AppInstalled),
    EventType.USER_ANTI_PHISHING_CODE_CHANGED: CatalogueEntry(s.AntiPhishingCodeChanged, secret=True),
    EventType.USER_PROFILE_CHANGED: CatalogueEntry(s.UserProfileChanged),
    EventType.AGENT_PROFILE_CHANGED: CatalogueEntry(s.AgentProfileChanged),
    EventType.WALLET_DEPOSIT_COMPLETED: CatalogueEntry(s.ValueMoved),
    EventType.TRADE_BUY_COMPLETED: CatalogueEntry(s.ValueMoved),
    EventType.TICKET_CREATED: CatalogueEntry(s.TicketCreated),
    EventType.TICKET_MESSAGE_ADDED: CatalogueEntry(s.TicketMessageAdded),
    EventType.TICKET_STATUS_CHANGED: CatalogueEntry(s.TicketStatusChanged),
    EventType.TICKET_ESCALATED: CatalogueEntry(s.TicketEscalated),
    EventType.TICKET_ESCALATION_ACCEPTED: CatalogueEntry(s.TicketEscalated),
    EventType.TICKET_ASSIGNED: CatalogueEntry(s.TicketAssigned),
    EventType.TICKET_MERGED: CatalogueEntry(s.TicketMerged),
    EventType.TICKET_RATED: CatalogueEntry(s.TicketRated),
    EventType.TICKET_SLA_BREACHED: CatalogueEntry(s.TicketSlaBreached),
    EventType.GUEST_VERIFICATION_REQUESTED: CatalogueEntry(s.GuestVerificationRequested, secret=True),
    EventType.VIDEO_CALL_PROPOSED: CatalogueEntry(s.VideoCall),
    EventType.VIDEO_CALL_BOOKED: CatalogueEntry(s.VideoCall),
    EventType.VIDEO_CALL_RESCHEDULED: CatalogueEntry(s.VideoCall),
    EventType.VIDEO_CALL_CANCELLED: CatalogueEntry(s.VideoCall),
    EventType.VIDEO_CALL_REMINDER_DUE: CatalogueEntry(s.VideoCall),
    EventType.VIDEO_CALL_COMPLETED: CatalogueEntry(s.VideoCall),
    EventType.REFERRAL_BOX_GRANTED: CatalogueEntry(s.ReferralBoxGranted),
    EventType.REFERRAL_REWARD_CREDITED: CatalogueEntry(s.ReferralRewardCredited),
    EventType.REFERRAL_MEMBER_JOINED: CatalogueEntry(s.ReferralMemberJoined),
}
# Each type's schema, for the loaders (validate_data, load_data).
SCHEMAS: dict[EventType, type[ma.Schema]] = {event_type: entry.schema for event_type, entry in CATALOGUE.items()}


def is_secret(event_type: str) -> bool:
    """Whether the catalogue marks the type's data as a secret."""
    entry = CATALOGUE.get(event_type)  # a StrEnum member hashes and compares as its string
    return entry is not None and entry.secret


class InvalidEvent(ValueError):
    """An envelope or its data does not match the catalogue."""


def validate_data(event_type: str, data: dict) -> dict:
    """Check `data` against the catalogue; returns it as JSON-ready values."""
    schema = fastload.schema_instance(_schema_class(event_type))
    try:
        # Known fields in their canonical form; unknown ones kept for consumers that know them.
        return {**data, **schema.dump(schema.load(data))}
    except ma.ValidationError as exc:
        raise InvalidEvent(json.dumps(exc.messages)) from exc


def _schema_class(event_type: str) -> type[ma.Schema]:
    try:
        return SCHEMAS[EventType(event_type)]
    except ValueError as exc:
        raise InvalidEvent(f"unknown event type {event_type!r}") from exc


def quick_accepts(event_type: str, data: dict) -> dict | None:
    """`shared.fastload`'s quick test of the type's schema: the loaded dict, or None where marshmallow has to look."""
    return fastload.quick_accepts(_schema_class(event_type), data)


def load_data(event_type: str, data: dict) -> dict:
    """`data` loaded by the type's schema, the quick way when it can: raises `marshmallow.ValidationError`, or
    InvalidEvent (a ValueError) for a type the catalogue does not know."""
    return fastload.load(_schema_class(event_type), data)


def received_data(event_type: str, data: dict) -> dict:
    """An event's data as a consumer reads it: what `validate_data` gives, the quick way for well-formed data
    (the quick test accepts only strings, integers and their nestings, whose loaded values are their JSON)."""
    quick = fastload.quick_accepts(_schema_class(event_type), data)
    return {**data, **quick} if quick is not None else validate_data(event_type, data)


@dataclasses.dataclass(frozen=True)
class Envelope:
    """`id, type, occurred_at, producer, correlation_id, data`: plain JSON on the wire."""

    id: str
    type: str
    occurred_at: str
    producer: str
    correlation_id: str | None
    data: dict
    # The W3C trace context of the request that caused the event (shared/tracing.py); optional.
    traceparent: str | None = None

    @classmethod
    def new(cls, event_type: str, data: dict, producer: str, *,
            correlation_id: str | None = None, occurred_at: dt.datetime | None = None,
            event_id: str | None = None, traceparent: str | None = None) -> Envelope:
        return cls(
            id=event_id or str(uuid.uuid4()),
            type=str(event_type),
            occurred_at=clock.isoformat(occurred_at or clock.now()),
            producer=producer,
            correlation_id=correlation_id,
            data=validate_data(event_type, data),
            traceparent=traceparent,
        )

    def to_dict(self) -> dict:
        raw = dataclasses.asdict(self)
        if raw["traceparent"] is None:
            del raw["traceparent"]  # absent rather than null: the envelope of an untraced event is as before
        return raw

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, raw: dict) -> Envelope:
        """The one envelope parser of every consumer: the envelope checked, its data checked against the
        catalogue (quickly when well formed: this runs for every message)."""
        try:
            event_type, occurred_at, data = str(raw["type"]), str(raw["occurred_at"]), dict(raw.get("data") or {})
            raw_id = raw["id"]
            event_id = raw_id if type(raw_id) is str and CANONICAL_UUID.fullmatch(raw_id) else str(uuid.UUID(str(raw_id)))
            fields = {"id": event_id, "type": event_type, "occurred_at": occurred_at,
                      "producer": str(raw.get("producer") or "unknown"), "correlation_id": raw.get("correlation_id"),
                      "traceparent": valid_traceparent(raw.get("traceparent"))}
            clock.parse_iso(occurred_at)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidEvent(f"malformed envelope: {exc}") from exc
        return cls(data=received_data(event_type, data), **fields)

    @property
    def occurred(self) -> dt.datetime:
        return clock.parse_iso(self.occurred_at)


# An id as `str(uuid.UUID(...))` writes it, taken as it is (parsing it again costs as much as the rest).
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


def valid_traceparent(value) -> str | None:
    """A W3C traceparent, or None: a malformed one is dropped, the event is not refused for it."""
    return value if isinstance(value, str) and TRACEPARENT.match(value) else None
