"""Event handlers of the tickets service: plain functions in one table.

The video service's events become system messages in the ticket's history (the
tickets service never reads the video database). They add no
`ticket.message_added.v1`: the notifications service already tells the customer
about each video event, and one activity gives one notification per channel.
"""
from __future__ import annotations

import logging

from services.tickets.core.models import Message, Ticket
from services.tickets.core.workflow import SYSTEM
from services.tickets.customers import facts
from services.tickets.workspace.agents import record_profile_event
from shared import clock
from shared.events import Envelope, EventType

log = logging.getLogger(__name__)

OUTCOME_TEXT = {
    "verified": "The video call took place and your identity was verified.",
    "not_verified": "The video call took place, but your identity could not be verified.",
    "no_show": "The video call did not take place: nobody joined it at the booked time (no-show).",
}


def _slot(start: str | None, end: str | None) -> str:
    """`2026-11-24 10:00–10:30 UTC`, readable in every language the emails use."""
    if not start:
        return "no time"
    begin = clock.parse_iso(start)
    text = begin.strftime("%Y-%m-%d %H:%M")
    if end:
        finish = clock.parse_iso(end)
        text += "–" + finish.strftime("%H:%M" if finish.date() == begin.date() else "%Y-%m-%d %H:%M")
    return text + " UTC"


def _slots(data: dict) -> str:
    return "; ".join(_slot(s.get("start"), s.get("end")) for s in data.get("slots") or [])


def video_history_text(event_type: str, data: dict) -> str | None:
    """What the ticket's history says about a video event; None for events it does not show."""
    booked = _slot(data.get("slot_start"), data.get("slot_end"))
    previous = data.get("previous_slot_start")
    if event_type == EventType.VIDEO_CALL_PROPOSED:
        return f"Support asked for a video call. Proposed times: {_slots(data)}. Please book the one that suits you."
    if event_type == EventType.VIDEO_CALL_BOOKED:
        if previous:
            return (f"The video call was moved from {_slot(previous, data.get('previous_slot_end'))} "
                    f"to {booked}.")
        return f"The video call was booked for {booked}."
    if event_type == EventType.VIDEO_CALL_RESCHEDULED:
        if data.get("slot_start"):
            return f"Support rescheduled the video call to {booked}."
        return f"Support offered new times for the video call: {_slots(data)}. Please book one of them."
    if event_type == EventType.VIDEO_CALL_CANCELLED:
        when = f" planned for {booked}" if data.get("slot_start") else ""
        reason = f" Reason: {data['reason'].strip()}" if (data.get("reason") or "").strip() else ""
        return f"Support cancelled the video call{when}.{reason}"
    if event_type == EventType.VIDEO_CALL_COMPLETED:
        return OUTCOME_TEXT.get(data.get("outcome") or "", "The video call has ended.")
    return None


def record_video_call_in_history(envelope: Envelope) -> None:
    """A system message per proposal, booking, reschedule, cancellation and outcome."""
    data = envelope.data
    ticket = Ticket.get_or_none(Ticket.number == data["ticket_number"])
    if ticket is None:
        log.warning("video event for an unknown ticket", extra={"event_id": envelope.id, "event_type": envelope.type})
        return
    body = video_history_text(envelope.type, data)
    if body is None:
        return
    # The history is ordered by when things happened, not by when the event arrived.
    at = envelope.occurred
    Message.create(ticket=ticket, author_role=SYSTEM.role, author_name=SYSTEM.name, kind="event", body=body,
                   created_at=at)
    note = (data.get("note") or "").strip()
    if envelope.type == EventType.VIDEO_CALL_COMPLETED and note:
        Message.create(ticket=ticket, author_role=SYSTEM.role, author_name=SYSTEM.name, kind="note",
                       body=f"Video call outcome note ({data.get('outcome')}): {note}", created_at=at)
    if at > ticket.updated_at:
        ticket.updated_at = at
        ticket.save()


HANDLERS: dict[str, list] = {
    EventType.AGENT_PROFILE_CHANGED: [record_profile_event],
    EventType.VIDEO_CALL_PROPOSED: [record_video_call_in_history, facts.record_video_call],
    EventType.VIDEO_CALL_BOOKED: [record_video_call_in_history, facts.record_video_call],
    EventType.VIDEO_CALL_RESCHEDULED: [record_video_call_in_history, facts.record_video_call],
    EventType.VIDEO_CALL_CANCELLED: [record_video_call_in_history, facts.record_video_call],
    EventType.VIDEO_CALL_COMPLETED: [record_video_call_in_history, facts.record_video_call],
    # The requester's facts for the agents' context panel (services/tickets/customers).
    EventType.USER_REGISTERED: [facts.record_registration],
    EventType.USER_PROFILE_CHANGED: [facts.record_profile_change],
    EventType.REFERRAL_MEMBER_JOINED: [facts.record_referral_standing],
    EventType.REFERRAL_BOX_GRANTED: [facts.record_box],
    EventType.REFERRAL_REWARD_CREDITED: [facts.record_reward],
}
