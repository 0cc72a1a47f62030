"""What every `video.call_*.v1` event says about its call (the life cycle's and the reminders')."""
from __future__ import annotations

from services.video.models import VideoCall
from services.video.rules import Rules, join_opens_at
from shared import clock


def event_data(call: VideoCall, rules: Rules, **extra) -> dict:
    return {
        "call_id": call.id,
        "ticket_number": call.ticket_number,
        "requester": {"kind": call.requester_kind, "user_id": call.requester_user_id,
                      "email": call.requester_email, "locale": call.requester_locale},
        "slot_start": clock.isoformat(call.booked_start),
        "slot_end": clock.isoformat(call.booked_end),
        "status": call.status,
        "booking_version": call.booking_version,
        "join_opens_at": clock.isoformat(join_opens_at(call, rules)),
        **extra,
    }
