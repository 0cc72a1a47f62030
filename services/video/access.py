"""Who may see which call: the requester (logged in, or a guest verified for the call's
email); agents through the ticket, which the tickets service lets them see or not."""
from __future__ import annotations

import peewee

from services.video.models import MAX_ID, VideoCall
from shared.errors import ApiError, not_found
from shared.internal_auth import Caller


def owner_filter(caller: Caller) -> peewee.Expression | None:
    """The SQL condition for the calls this customer or guest owns; None when they own none."""
    if caller.is_customer:
        return (VideoCall.requester_kind == "user") & (VideoCall.requester_user_id == caller.user_id)
    if caller.is_guest:
        email = (caller.scope or {}).get("video_email")
        # A guest scoped to one ticket (or to anything else) has no video calls here.
        return VideoCall.requester_email == email.lower() if isinstance(email, str) and email else None
    if caller.is_agent:
        raise ApiError(403, "forbidden", "Agents use /api/v1/agent/video-calls.")
    raise ApiError(401, "not_authenticated", "Log in, or verify your email, first.")


def owned_call(caller: Caller, call_id: int, *, for_update: bool = False) -> VideoCall:
    """The call if this customer or guest owns it; 404 otherwise, whichever it is."""
    condition = owner_filter(caller)
    if condition is None or not 0 < call_id <= MAX_ID:
        raise not_found("video call")
    query = VideoCall.select().where((VideoCall.id == call_id) & condition)
    if for_update:
        from shared.db import for_update as lock

        query = lock(query, VideoCall._meta.database.obj, skip_locked=False)
    call = query.first()
    if call is None:
        raise not_found("video call")
    return call
