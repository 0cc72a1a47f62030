"""Per-user choices of which kinds arrive by push (inbox, live stream, Web Push) and by email."""
from __future__ import annotations

from services.notifications.models import KINDS, Preference
from services.notifications.notices import SECURITY
from shared import clock

CHANNELS = ("push", "email")


def _column(channel: str, kind: str) -> str:
    return f"{channel}_{kind}"


def preferences_of(user_id: int) -> dict:
    """`{push: {ticket_updates, video_calls, rewards}, email: {...}}`; everything on by default."""
    row = Preference.get_or_none(Preference.user_id == user_id)
    return {channel: {kind: bool(getattr(row, _column(channel, kind))) if row else True for kind in KINDS}
            for channel in CHANNELS}


def row_allows(row: Preference | None, channel: str, kind: str) -> bool:
    """Whether `kind` may reach the user of `row` (None: no choices made) by `channel`."""
    if kind == SECURITY or row is None:
        return True
    return bool(getattr(row, _column(channel, kind)))


def allows(user_id: int, channel: str, kind: str) -> bool:
    """Whether `kind` may reach the user by `channel`; security messages always may."""
    if kind == SECURITY:
        return True
    return row_allows(Preference.get_or_none(Preference.user_id == user_id), channel, kind)


def update_preferences(user_id: int, changes: dict) -> dict:
    """Apply `{push: {kind: bool}, email: {...}}` (any subset) and return the whole set."""
    values = {_column(channel, kind): value for channel, kinds in changes.items() for kind, value in kinds.items()}
    row = Preference.get_or_none(Preference.user_id == user_id)
    if row is None:
        Preference.create(user_id=user_id, updated_at=clock.now(), **values)
    elif values:
        Preference.update(updated_at=clock.now(), **values).where(Preference.user_id == user_id).execute()
    return preferences_of(user_id)
