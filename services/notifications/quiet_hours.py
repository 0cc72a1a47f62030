"""Quiet hours: a person's daily window, in their time zone, without push and without email; and the release
of every held notice (an email waiting to be read in an open page too: attention.py).

What would have gone inside it waits (a `Held` row per event, channel and person: the event and the notice
as the fan-out composed it) and goes once when
the window ends: the worker of each channel releases what is due (`release_due`, a periodic job).
Security emails (codes, access links) are never held, and the inbox itself is not either: quiet hours
silence the alerts, not the record. A release claims its row for a lease before delivering, so two
workers never both take it, and a worker that dies mid-release leaves it to be taken again when the
lease ends; the channel's delivery records keep that second try from sending twice.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import zoneinfo
from collections.abc import Callable

from services.notifications.models import Held, Notification, Preference
from services.notifications.notices import SECURITY, Notice
from services.notifications.recipients import notices_for
from shared import clock
from shared.events import Envelope

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)


def parse_time(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def quiet_until(row: Preference | None, now: dt.datetime) -> dt.datetime | None:
    """When the quiet hours `now` (naive UTC) falls in end, as naive UTC; None outside them (or without any)."""
    if row is None or not (row.quiet_start and row.quiet_end and row.quiet_timezone):
        return None
    zone = zoneinfo.ZoneInfo(row.quiet_timezone)
    local = now.replace(tzinfo=dt.UTC).astimezone(zone)
    start, end = parse_time(row.quiet_start), parse_time(row.quiet_end)
    at = local.time().replace(second=0, microsecond=0)
    inside = start <= at < end if start < end else (at >= start or at < end)
    if not inside:
        return None
    day = local.date() if (start < end or at < end) else local.date() + dt.timedelta(days=1)
    ends = dt.datetime.combine(day, end, tzinfo=zone)
    return clock.to_naive_utc(ends)


def hold_if_quiet(envelope: Envelope, notice: Notice, channel: str) -> bool:
    """Hold the notice for its person's quiet hours (True), or let it go now (False)."""
    if notice.kind == SECURITY or not notice.audience.is_user:
        return False
    user_id = notice.audience.user_id
    until = quiet_until(Preference.get_or_none(Preference.user_id == user_id), clock.now())
    if until is None:
        return False
    (Held.insert(event_id=envelope.id, channel=channel, user_id=user_id, body=held_body(envelope, notice),
                 release_at=until).on_conflict_ignore().execute())
    log.info("notice held for quiet hours", extra={"event_id": envelope.id, "channel": channel, "user_id": user_id,
                                                   "release_at": clock.isoformat(until)})
    return True


def held_body(envelope: Envelope, notice: Notice) -> str:
    """A held row's body: the event and its person's notice, so the release composes nothing again."""
    return json.dumps({"event": envelope.to_dict(), "notice": notice.to_dict()}, separators=(",", ":"))


def held_notices(held: Held) -> tuple[Envelope, list[Notice]]:
    """The held event and its person's notice (a row held before the notice was kept with it: composed now)."""
    raw = json.loads(held.body)
    if "event" in raw and "notice" in raw:
        return Envelope.from_dict(raw["event"]), [Notice.from_dict(raw["notice"])]
    envelope = Envelope.from_dict(raw)
    return envelope, [notice for notice in notices_for(envelope) if notice.audience.user_id == held.user_id]


def release_due(channel: str, deliver: Callable[..., int], limit: int = 100) -> int:
    """Deliver, once, what the channel held and whose quiet hours are over (`deliver(envelope, notice,
    released=True)`: the channel's `deliver_notice`); returns how many went."""
    now, sent = clock.now(), 0
    due = list(Held.select().where((Held.channel == channel) & (Held.release_at <= now))
               .order_by(Held.release_at, Held.id).limit(limit))
    for held in due:
        claimed = (Held.update(release_at=now + LEASE)
                   .where((Held.id == held.id) & (Held.release_at == held.release_at)).execute())
        if not claimed:
            continue  # another worker took it
        envelope, notices = held_notices(held)
        read = held.unless_read and Notification.select().where(
            (Notification.event_id == envelope.id) & (Notification.user_id == held.user_id)
            & Notification.read_at.is_null(False)).exists()
        for notice in [] if read else notices:  # read in the open page meanwhile: no email
            sent += deliver(envelope, notice, released=True)
        Held.delete().where(Held.id == held.id).execute()
    return sent
