"""What each event means to the person it concerns: one `Notice`, or nothing.

A pure function of the event, shared by every channel (inbox, Web Push, email),
so the channels agree on who is told what, and each applies its own rules
(preferences, address book) on top.
"""
from __future__ import annotations

import dataclasses

from shared import clock
from shared.events import Envelope, EventType
from shared.locales import DEFAULT_LOCALE, from_accept_language

SECURITY = "security"  # codes and access links: never switched off


@dataclasses.dataclass(frozen=True)
class Audience:
    """Who to tell: an account (user_id) or a guest's email address, with what the event knows of them."""

    user_id: int | None
    email: str | None
    locale: str | None
    # Instead of one person, a group that recipients.py names: "supervisors" (of `department`, if any).
    group: str | None = None
    department: str | None = None

    @property
    def is_user(self) -> bool:
        return self.user_id is not None


@dataclasses.dataclass(frozen=True)
class Notice:
    topic: str  # names the texts in templates/<locale>/messages.toml
    kind: str  # ticket_updates | video_calls | rewards | security
    audience: Audience
    params: dict  # values for the texts
    page: str  # where the link points, relative to PUBLIC_URL
    ticket_number: str | None = None  # a guest's ticket link is signed for this ticket
    # Whether the account's preferences in force when the event happened let it go by email: decided by the
    # fan-out (handlers.notify) and carried with the notice, so a choice changed while the email waits in its
    # queue or is held does not reach back. None: undecided (a guest, a security message, an older job).
    by_email: bool | None = None

    @property
    def for_inbox(self) -> bool:
        """Inbox and Web Push are for accounts; security messages go by email only."""
        return self.audience.is_user and self.kind != SECURITY

    @property
    def guest_ticket(self) -> bool:
        return not self.audience.is_user and self.ticket_number is not None and self.kind != SECURITY

    def to_dict(self) -> dict:
        """As the channel jobs and held rows carry it (fanout.py), so no channel composes it again (by hand:
        `dataclasses.asdict` costs as much as the rest of an event's fan-out)."""
        audience = self.audience
        return {"topic": self.topic, "kind": self.kind, "params": self.params, "page": self.page,
                "ticket_number": self.ticket_number, "by_email": self.by_email,
                "audience": {"user_id": audience.user_id, "email": audience.email, "locale": audience.locale,
                             "group": audience.group, "department": audience.department}}

    @classmethod
    def from_dict(cls, raw: dict) -> Notice:
        return cls(**{**raw, "audience": Audience(**raw["audience"])})


TICKET_TYPES = {EventType.TICKET_CREATED, EventType.TICKET_MESSAGE_ADDED, EventType.TICKET_STATUS_CHANGED,
                EventType.TICKET_ESCALATION_ACCEPTED}
VIDEO_TOPICS = {
    EventType.VIDEO_CALL_PROPOSED: "video_call_proposed",
    EventType.VIDEO_CALL_BOOKED: "video_call_booked",
    EventType.VIDEO_CALL_RESCHEDULED: "video_call_rescheduled",
    EventType.VIDEO_CALL_CANCELLED: "video_call_cancelled",
    EventType.VIDEO_CALL_REMINDER_DUE: "video_call_reminder",
    EventType.VIDEO_CALL_COMPLETED: "video_call_completed",
}
REWARD_TYPES = {EventType.REFERRAL_BOX_GRANTED, EventType.REFERRAL_REWARD_CREDITED}

# The events that tell someone something, and those that only fill the address book (the fan-out consumer's,
# which composes the notices and queues them for the email and push channels: fanout.py).
# The ticket events that tell the agent who holds the ticket (agent_notices.py), or its requester (a merge).
AGENT_TYPES = {EventType.TICKET_MESSAGE_ADDED, EventType.TICKET_ESCALATED, EventType.TICKET_ASSIGNED,
               EventType.TICKET_RATED, EventType.TICKET_SLA_BREACHED}
NOTIFYING_TYPES = (TICKET_TYPES | AGENT_TYPES | set(VIDEO_TOPICS) | REWARD_TYPES
                   | {EventType.GUEST_VERIFICATION_REQUESTED, EventType.TICKET_MERGED})
ADDRESS_BOOK_TYPES = {EventType.USER_REGISTERED, EventType.USER_ANTI_PHISHING_CODE_CHANGED,
                      EventType.AGENT_PROFILE_CHANGED, EventType.USER_PROFILE_CHANGED}


def requester_audience(requester: dict) -> Audience:
    user_id = requester.get("user_id") if requester.get("kind") == "user" else None
    return Audience(user_id, requester.get("email"), requester.get("locale"))


def ticket_page(number: str) -> str:
    return f"/support/tickets/{number}"


def _ticket_topic(envelope: Envelope) -> str | None:
    data = envelope.data
    if envelope.type == EventType.TICKET_CREATED:
        # A logged-in customer is looking at the ticket they just made; a guest needs its link.
        return "guest_ticket_created" if data["requester"]["kind"] == "guest" else None
    if envelope.type == EventType.TICKET_MESSAGE_ADDED:
        if data["author_role"] != "agent":
            return None
        return {"reply": "ticket_reply", "info_request": "ticket_info_request"}.get(data["kind"])
    if envelope.type == EventType.TICKET_STATUS_CHANGED:
        return "ticket_resolved" if data["new_status"] == "resolved" else None
    return "ticket_escalation_accepted"


def format_slot(value: str | None) -> str:
    """A slot's start for a person: `2025-03-01 14:00 UTC`."""
    if not value:
        return ""
    try:
        return clock.parse_iso(value).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return value


def compose(envelope: Envelope) -> Notice | None:
    """The notice an event gives its requester (or a user it names), or None when it tells them nothing.
    What it tells agents is `agent_notices.compose_for_agents`; `recipients.notices_for` gives both."""
    data = envelope.data
    event_type = envelope.type
    if event_type == EventType.TICKET_MERGED:
        # The conversation goes on in the other ticket (same requester): the link, a guest's too, is to that one.
        return Notice("ticket_merged", "ticket_updates", requester_audience(data["requester"]),
                      {"number": data["number"], "into_number": data["into_number"]},
                      ticket_page(data["into_number"]), ticket_number=data["into_number"])
    if event_type in TICKET_TYPES:
        topic = _ticket_topic(envelope)
        if topic is None:
            return None
        return Notice(topic, "ticket_updates", requester_audience(data["requester"]), {"number": data["number"]},
                      ticket_page(data["number"]), ticket_number=data["number"])
    if event_type == EventType.GUEST_VERIFICATION_REQUESTED:
        purpose = data["purpose"]
        topic = "verification_code_video" if purpose == "video_calls" else "verification_code_ticket"
        number = data.get("ticket_number")
        page = ticket_page(number) if number and purpose != "video_calls" else "/support/video-calls"
        return Notice(topic, SECURITY, Audience(None, data["address"], data.get("locale")),
                      {"code": data["code"], "number": number or ""}, page)
    if event_type in VIDEO_TOPICS:
        return Notice(VIDEO_TOPICS[event_type], "video_calls", requester_audience(data["requester"]),
                      {"number": data["ticket_number"], "slot": format_slot(data.get("slot_start")),
                       "previous_slot": format_slot(data.get("previous_slot_start"))},
                      "/support/video-calls")
    if event_type == EventType.REFERRAL_BOX_GRANTED:
        return Notice("referral_box_granted", "rewards", Audience(data["user_id"], None, None),
                      {"milestone": data["milestone"]}, "/rewards/boxes")
    if event_type == EventType.REFERRAL_REWARD_CREDITED:
        return Notice("referral_reward_credited", "rewards", Audience(data["user_id"], None, None),
                      {"asset": data["asset"], "amount": data["amount"]}, "/assets/capital-flows")
    return None


def choose_locale(*candidates: str | None) -> str:
    """The first candidate we have texts for, else English."""
    return from_accept_language(candidates) or DEFAULT_LOCALE
