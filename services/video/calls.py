"""What happens to a video call: proposal, booking, rescheduling, cancelling, the
outcome and translation. Each function runs inside the caller's transaction and
writes its events to the outbox in that same transaction; the rules' numbers and the
join window are in `rules.py`."""
from __future__ import annotations

import datetime as dt
import secrets

import peewee

from services.video import reminders
from services.video.call_events import event_data
from services.video.models import OPEN_STATUSES, Slot, VideoCall
from services.video.rules import Rules, join_opens_at
from services.video.tickets_client import TicketInfo
from shared import clock
from shared.errors import ApiError
from shared.events import EventType
from shared.internal_auth import Caller

# --- slots -----------------------------------------------------------------------------------

def _slot_error(message: str) -> ApiError:
    return ApiError(400, "validation_error", "Some fields are missing or invalid.",
                    {"fields": {"slots": [message]}})


def _whole_seconds(value: dt.datetime, field: str = "slots") -> dt.datetime:
    try:
        return clock.to_naive_utc(value).replace(microsecond=0)
    except OverflowError:  # e.g. year 1 with a positive offset
        raise ApiError(400, "validation_error", "Some fields are missing or invalid.",
                       {"fields": {field: ["Not a usable time."]}}) from None


def check_slots(slots: list[dict], rules: Rules) -> list[tuple[dt.datetime, dt.datetime]]:
    """Future, `end > start`, of a sensible length, at most `max_slots`, none overlapping."""
    if not slots:
        raise _slot_error("Offer at least one slot.")
    if len(slots) > rules.max_slots:
        raise _slot_error(f"Offer at most {rules.max_slots} slots.")
    now = clock.now()
    checked = sorted((_whole_seconds(s["start"]), _whole_seconds(s["end"])) for s in slots)
    for start, end in checked:
        if end <= start:
            raise _slot_error("A slot must end after it starts.")
        if start <= now:
            raise _slot_error("A slot must start in the future.")
        if start > now + rules.max_ahead:
            raise _slot_error(f"A slot may start at most {rules.max_ahead.days} days ahead.")
        if not rules.slot_min <= end - start <= rules.slot_max:
            raise _slot_error(f"A slot lasts between {int(rules.slot_min.total_seconds() // 60)} and "
                              f"{int(rules.slot_max.total_seconds() // 60)} minutes.")
    for (_, previous_end), (start, _) in zip(checked, checked[1:], strict=False):
        if start < previous_end:
            raise _slot_error("Slots must not overlap.")
    return checked


def offered_slots(call: VideoCall) -> list[Slot]:
    return list(call.slots.where(Slot.withdrawn_at.is_null()).order_by(Slot.start))


def _offer(call: VideoCall, slots: list[tuple[dt.datetime, dt.datetime]]) -> None:
    now = clock.now()
    Slot.update(withdrawn_at=now).where((Slot.call == call) & Slot.withdrawn_at.is_null()).execute()
    Slot.insert_many([{"call": call.id, "start": start, "end": end} for start, end in slots]).execute()


def _slots_data(call: VideoCall) -> list[dict]:
    """The offered slots as the events carry them."""
    return [{"start": clock.isoformat(s.start), "end": clock.isoformat(s.end)} for s in offered_slots(call)]


# --- the life cycle --------------------------------------------------------------------------

def ensure_open(call: VideoCall) -> None:
    if call.status not in OPEN_STATUSES:
        raise ApiError(409, "call_closed", f"This video call is {call.status.replace('_', ' ')} and can no "
                       "longer be changed.", {"status": call.status})


def active_call_of_ticket(number: str) -> VideoCall | None:
    return (VideoCall.select().where((VideoCall.ticket_number == number) & VideoCall.status.in_(OPEN_STATUSES))
            .order_by(VideoCall.id.desc()).first())


def _already_scheduled(active: VideoCall | None) -> ApiError:
    return ApiError(409, "call_already_scheduled", "This ticket already has a video call; reschedule or "
                    "cancel it instead.", {"call_id": active.id if active else None})


def propose(outbox, ticket: TicketInfo, agent: Caller, slots: list[dict], rules: Rules) -> VideoCall:
    """An agent asks the ticket's requester to a call in one of `slots`."""
    if ticket.status == "closed":
        raise ApiError(409, "ticket_closed", "This ticket is closed; open a new one to schedule a call.",
                       {"ticket_number": ticket.number})
    checked = check_slots(slots, rules)
    active = active_call_of_ticket(ticket.number)
    if active is not None:
        raise _already_scheduled(active)
    now = clock.now()
    try:
        with VideoCall._meta.database.atomic():  # a savepoint: the partial UNIQUE index settles a race
            call = VideoCall.create(
                ticket_number=ticket.number, requester_kind=ticket.requester_kind,
                requester_user_id=ticket.requester_user_id, requester_email=ticket.requester_email,
                requester_name=ticket.requester_name, requester_locale=ticket.locale or "en",
                agent_id=agent.user_id, agent_name=agent.name, status="proposed",
                room_name=f"support-{secrets.token_hex(12)}", created_at=now, updated_at=now)
    except peewee.IntegrityError:
        raise _already_scheduled(active_call_of_ticket(ticket.number)) from None
    _offer(call, checked)
    outbox.add(EventType.VIDEO_CALL_PROPOSED, event_data(call, rules, slots=_slots_data(call)))
    return call


def _set_booking(call: VideoCall, start: dt.datetime | None, end: dt.datetime | None) -> None:
    now = clock.now()
    call.booked_start, call.booked_end = start, end
    call.status = "booked" if start is not None else "proposed"
    call.booking_version += 1
    call.booked_at = now if start is not None else None
    call.updated_at = now
    call.save()


def book(outbox, call: VideoCall, slot_start: dt.datetime, rules: Rules) -> VideoCall:
    """The requester picks one of the offered slots, or changes to another; it must still lie ahead."""
    ensure_open(call)
    wanted = _whole_seconds(slot_start, "slot_start")
    slot = next((s for s in offered_slots(call) if s.start == wanted), None)
    if slot is None or slot.start <= clock.now():
        raise ApiError(409, "slot_unavailable", "This time slot is not offered or has already begun; pick "
                       "another.", {"slot_start": clock.isoformat(wanted)})
    if call.status == "booked" and call.booked_start == slot.start:
        return call  # booking the same slot twice changes nothing
    previous = (call.booked_start, call.booked_end)
    _set_booking(call, slot.start, slot.end)
    outbox.add(EventType.VIDEO_CALL_BOOKED, event_data(
        call, rules, previous_slot_start=clock.isoformat(previous[0]),
        previous_slot_end=clock.isoformat(previous[1])))
    reminders.remind_if_due(outbox, call, rules)
    return call


def reschedule(outbox, call: VideoCall, rules: Rules, *, slots: list[dict] | None = None,
               booked_slot: dict | None = None) -> VideoCall:
    """New slots for the requester to choose from (the booking is cleared), or the booking moved."""
    ensure_open(call)
    previous = (call.booked_start, call.booked_end)
    if booked_slot is not None:
        (start, end), = check_slots([booked_slot], rules)
        _offer(call, [(start, end)])
        _set_booking(call, start, end)
    else:
        _offer(call, check_slots(slots or [], rules))
        _set_booking(call, None, None)
    outbox.add(EventType.VIDEO_CALL_RESCHEDULED, event_data(
        call, rules, slots=_slots_data(call), previous_slot_start=clock.isoformat(previous[0]),
        previous_slot_end=clock.isoformat(previous[1])))
    if call.status == "booked":
        reminders.remind_if_due(outbox, call, rules)
    return call


def cancel(outbox, call: VideoCall, rules: Rules, reason: str | None) -> VideoCall:
    ensure_open(call)
    previous = (call.booked_start, call.booked_end)
    now = clock.now()
    call.status = "cancelled"
    call.booking_version += 1  # a reminder that was due for the old booking is never sent
    call.finished_at = now
    call.updated_at = now
    call.save()
    outbox.add(EventType.VIDEO_CALL_CANCELLED, event_data(
        call, rules, slot_start=clock.isoformat(previous[0]), slot_end=clock.isoformat(previous[1]),
        reason=reason))
    return call


def record_outcome(outbox, call: VideoCall, rules: Rules, result: str, note: str | None) -> VideoCall:
    """Verified or not verified completes the call; a no-show closes it as `no_show`."""
    if call.status != "booked":
        if call.status == "proposed":
            raise ApiError(409, "call_not_booked", "No slot is booked yet; reschedule or cancel the call instead.",
                           {"status": call.status})
        ensure_open(call)
    opens = join_opens_at(call, rules)
    if clock.now() < opens:
        raise ApiError(409, "call_not_started", "The outcome can be recorded once the call's window has opened.",
                       {"join_opens_at": clock.isoformat(opens)})
    now = clock.now()
    call.status = "no_show" if result == "no_show" else "completed"
    call.outcome = result
    call.outcome_note = note
    call.finished_at = now
    call.updated_at = now
    call.save()
    outbox.add(EventType.VIDEO_CALL_COMPLETED, event_data(call, rules, outcome=result, note=note))
    return call


def set_translation(call: VideoCall, translate_from: str | None, translate_to: str | None) -> VideoCall:
    ensure_open(call)
    call.translate_from, call.translate_to = translate_from, translate_to
    call.updated_at = clock.now()
    call.save()
    return call
