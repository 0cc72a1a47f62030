"""Video calls as the API shows them, with the checklist shown before the call."""
from __future__ import annotations

from services.video.calls import offered_slots
from services.video.models import VideoCall
from services.video.rules import Rules, is_joinable, join_opens_at
from shared import clock

SESSION_LANGUAGE = "en"

# What the help article asks the customer to prepare; `key` lets a front end translate the text.
CHECKLIST = (
    ("english_session", "The session is conducted in English. You may turn on translation from your "
                        "spoken language to English."),
    ("original_id_document", "Have your original identification document ready; photocopies are not "
                             "accepted."),
    ("card_in_possession", "For a lost or stolen card report, have the card itself with you to show it is "
                           "still in your possession."),
    ("camera_on", "Keep your camera switched on throughout the call."),
    ("quiet_room", "Be in a quiet environment throughout the call."),
)


def checklist() -> list[dict]:
    return [{"key": key, "text": text} for key, text in CHECKLIST]


def slot_dict(start, end) -> dict:
    return {"start": clock.isoformat(start), "end": clock.isoformat(end)}


def translation_dict(call: VideoCall) -> dict:
    enabled = call.translate_from is not None
    return {"enabled": enabled, "translate_from": call.translate_from,
            "translate_to": call.translate_to if enabled else None}


def call_dict(call: VideoCall, rules: Rules, *, agent_view: bool = False) -> dict:
    now = clock.now()
    open_call = call.status in ("proposed", "booked")
    opens = join_opens_at(call, rules)
    data = {
        "id": call.id,
        "ticket_number": call.ticket_number,
        "status": call.status,
        "slots": [dict(slot_dict(s.start, s.end), available=open_call and s.start > now)
                  for s in offered_slots(call)],
        "booked_slot": slot_dict(call.booked_start, call.booked_end) if call.status == "booked" else None,
        "language": SESSION_LANGUAGE,
        "translation": translation_dict(call),
        "checklist": checklist(),
        "joinable": is_joinable(call, rules, now),
        "join_opens_at": clock.isoformat(opens),
        "join_closes_at": clock.isoformat(call.booked_end) if opens is not None else None,
        "outcome": call.outcome,
        "created_at": clock.isoformat(call.created_at),
        "updated_at": clock.isoformat(call.updated_at),
    }
    if agent_view:
        data.update(
            requester={"kind": call.requester_kind, "user_id": call.requester_user_id,
                       "email": call.requester_email, "name": call.requester_name,
                       "locale": call.requester_locale},
            agent_id=call.agent_id, outcome_note=call.outcome_note, booking_version=call.booking_version)
    return data
