"""Room passes: the link and the short-lived provider token that let one person into a call."""
from __future__ import annotations

import datetime as dt
import hashlib

from services.video.models import VideoCall
from services.video.providers import Participant, RoomPass, VideoProvider
from services.video.rules import Rules, ensure_joinable, join_opens_at
from shared import clock
from shared.internal_auth import Caller


def participant_for(caller: Caller, call: VideoCall) -> Participant:
    if caller.is_agent:
        return Participant(identity=f"agent-{caller.user_id}", name=caller.name or "Support",
                           email=caller.email, moderator=True)
    if caller.is_guest:
        digest = hashlib.sha256(call.requester_email.encode()).hexdigest()[:16]
        return Participant(identity=f"guest-{digest}", name=call.requester_name or call.requester_email.split("@")[0],
                           email=call.requester_email)
    return Participant(identity=f"user-{caller.user_id}",
                       name=call.requester_name or caller.name or call.requester_email.split("@")[0],
                       email=call.requester_email)


def room_pass(call: VideoCall, caller: Caller, provider: VideoProvider, rules: Rules, *,
              margin: dt.timedelta, max_lifetime: dt.timedelta) -> RoomPass:
    """Only inside the join window; valid from the window's opening until the slot's end plus a margin,
    never longer than `max_lifetime` from now."""
    ensure_joinable(call, rules)
    now = clock.now().replace(microsecond=0)
    expires_at = min(call.booked_end + margin, now + max_lifetime)
    token = provider.room_token(call.room_name, participant_for(caller, call), join_opens_at(call, rules),
                                expires_at)
    return RoomPass(room_url=provider.room_url(call.room_name), room_token=token, expires_at=expires_at)


def pass_dict(room: RoomPass, provider: VideoProvider) -> dict:
    return {"room_url": room.room_url, "room_token": room.room_token,
            "expires_at": clock.isoformat(room.expires_at), "provider": provider.name}
