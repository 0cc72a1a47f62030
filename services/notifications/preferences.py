"""Per-user choices of which kinds arrive by push (inbox, live stream, Web Push) and by email.

Customers have `KINDS`, all on until turned off; agents have `AGENT_KINDS`, on by push and off by
email until turned on."""
from __future__ import annotations

from services.notifications.models import AGENT_KINDS, KINDS, Preference
from services.notifications.notices import SECURITY
from shared import clock

CHANNELS = ("push", "email")


def _column(channel: str, kind: str) -> str:
    return f"{channel}_{kind}"


def default(channel: str, kind: str) -> bool:
    """What a user who made no choice gets: everything, but agents' email."""
    return not (channel == "email" and kind in AGENT_KINDS)


def kinds_for(role: str | None) -> tuple[str, ...]:
    return AGENT_KINDS if role == "agent" else KINDS


def preferences_of(user_id: int, kinds: tuple[str, ...] = KINDS) -> dict:
    """`{push: {kind: bool}, email: {...}, quiet_hours: {start, end, timezone} | None, email_digest}`."""
    row = Preference.get_or_none(Preference.user_id == user_id)
    quiet = ({"start": row.quiet_start, "end": row.quiet_end, "timezone": row.quiet_timezone}
             if row is not None and row.quiet_start else None)
    return {**{channel: {kind: row_allows(row, channel, kind) for kind in kinds} for channel in CHANNELS},
            "quiet_hours": quiet, "email_digest": bool(row.email_digest) if row is not None else False}


def row_allows(row: Preference | None, channel: str, kind: str) -> bool:
    """Whether `kind` may reach the user of `row` (None: no choices made) by `channel`."""
    if kind == SECURITY:
        return True
    if row is None:
        return default(channel, kind)
    return bool(getattr(row, _column(channel, kind)))


def allows(user_id: int, channel: str, kind: str) -> bool:
    """Whether `kind` may reach the user by `channel`; security messages always may."""
    if kind == SECURITY:
        return True
    return row_allows(Preference.get_or_none(Preference.user_id == user_id), channel, kind)


def update_preferences(user_id: int, changes: dict, kinds: tuple[str, ...] = KINDS) -> dict:
    """Apply `{push: {kind: bool}, email: {...}}` (any subset) and return the whole set of `kinds`."""
    values = {_column(channel, kind): value for channel in CHANNELS for kind, value in changes.get(channel, {}).items()}
    if "email_digest" in changes:
        values["email_digest"] = changes["email_digest"]
    if "quiet_hours" in changes:
        quiet = changes["quiet_hours"] or {}
        values.update(quiet_start=quiet.get("start"), quiet_end=quiet.get("end"), quiet_timezone=quiet.get("timezone"))
    row = Preference.get_or_none(Preference.user_id == user_id)
    if row is None:
        Preference.create(user_id=user_id, updated_at=clock.now(), **values)
    elif values:
        Preference.update(updated_at=clock.now(), **values).where(Preference.user_id == user_id).execute()
    return preferences_of(user_id, kinds)
