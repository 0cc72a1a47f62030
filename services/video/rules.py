"""The scheduling rules' numbers, from the service's settings, and the join window they open."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.video.models import VideoCall
from shared import clock
from shared.errors import ApiError


@dataclass(frozen=True)
class Rules:
    """The numbers of the scheduling rules, from the service's settings."""

    join_early: dt.timedelta = dt.timedelta(minutes=5)
    reminder_lead: dt.timedelta = dt.timedelta(hours=1)
    max_slots: int = 10
    slot_min: dt.timedelta = dt.timedelta(minutes=5)
    slot_max: dt.timedelta = dt.timedelta(hours=2)
    max_ahead: dt.timedelta = dt.timedelta(days=90)

    @classmethod
    def from_settings(cls, settings: dict) -> Rules:
        return cls(join_early=dt.timedelta(minutes=settings["VIDEO_JOIN_EARLY_MINUTES"]),
                   reminder_lead=dt.timedelta(minutes=settings["VIDEO_REMINDER_LEAD_MINUTES"]),
                   max_slots=settings["VIDEO_MAX_SLOTS"],
                   slot_min=dt.timedelta(minutes=settings["VIDEO_SLOT_MIN_MINUTES"]),
                   slot_max=dt.timedelta(minutes=settings["VIDEO_SLOT_MAX_MINUTES"]),
                   max_ahead=dt.timedelta(days=settings["VIDEO_SLOT_MAX_DAYS_AHEAD"]))


# --- the join window -------------------------------------------------------------------------

def join_opens_at(call: VideoCall, rules: Rules) -> dt.datetime | None:
    if call.status != "booked" or call.booked_start is None:
        return None
    return call.booked_start - rules.join_early


def is_joinable(call: VideoCall, rules: Rules, now: dt.datetime | None = None) -> bool:
    """From `join_early` before the booked start until the slot's end, judged by the shared clock."""
    opens = join_opens_at(call, rules)
    now = now or clock.now()
    return opens is not None and opens <= now < call.booked_end


def ensure_joinable(call: VideoCall, rules: Rules) -> None:
    if not is_joinable(call, rules):
        opens = join_opens_at(call, rules)
        raise ApiError(409, "not_joinable", "The call can be joined only from 5 minutes before its start "
                       "until the end of its slot.",
                       {"status": call.status, "join_opens_at": clock.isoformat(opens),
                        "join_closes_at": clock.isoformat(call.booked_end if opens else None)})
