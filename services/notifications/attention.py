"""Emails that wait for the person's attention:

- while a live stream of theirs is open (a page or the app), the email for a new inbox item waits
  NOTIFICATIONS_READ_WAIT_SECONDS (2 minutes) and is dropped if the item was read by then; with nothing
  open it goes at once;
- with `email_digest` on, ticket updates wait for the digest window (NOTIFICATIONS_DIGEST_SECONDS, 5
  minutes from the first) and go as one email, or as the usual one when only one came.

Both wait as `Held` rows, released by the email worker's periodic job (quiet_hours.release_due and
`release_digests`), and go through the channel's usual delivery record, so each is sent at most once.
The settings shorten the windows for tests.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from services.notifications import preferences
from services.notifications.models import Held, Preference, StreamPresence
from services.notifications.notices import SECURITY, Notice
from services.notifications.quiet_hours import LEASE, held_body, held_notices
from shared import clock
from shared.events import Envelope

DIGEST = "digest"  # the Held channel of digest updates


def mark_present(user_id: int) -> None:
    """A live stream of the person is open now (its connection and each heartbeat say so)."""
    now = clock.now()
    (StreamPresence.insert(user_id=user_id, seen_at=now)
     .on_conflict(conflict_target=[StreamPresence.user_id], update={"seen_at": now}).execute())


def stream_open(user_id: int, heartbeat: float) -> bool:
    """Whether a stream said it was open within two heartbeats (and a few seconds)."""
    since = clock.now() - dt.timedelta(seconds=2 * heartbeat + 5)
    return StreamPresence.select().where((StreamPresence.user_id == user_id)
                                         & (StreamPresence.seen_at >= since)).exists()


def _hold(envelope: Envelope, notice: Notice, channel: str, release_at: dt.datetime, unless_read: bool) -> None:
    (Held.insert(event_id=envelope.id, channel=channel, user_id=notice.audience.user_id,
                 body=held_body(envelope, notice), release_at=release_at, unless_read=unless_read)
     .on_conflict_ignore().execute())


def hold_for_reading(envelope: Envelope, notice: Notice, settings: dict) -> bool:
    """Hold the email of an inbox item while the person has a page open (True), or let it go now."""
    if notice.kind == SECURITY or not notice.for_inbox:
        return False
    user_id = notice.audience.user_id
    if not preferences.allows(user_id, "push", notice.kind):  # no inbox item to read
        return False
    if not stream_open(user_id, settings.get("STREAM_HEARTBEAT_SECONDS", 15.0)):
        return False
    wait = dt.timedelta(seconds=settings.get("READ_WAIT_SECONDS", 120.0))
    _hold(envelope, notice, "email", clock.now() + wait, unless_read=True)
    return True


def hold_for_digest(envelope: Envelope, notice: Notice, settings: dict) -> bool:
    """Hold a ticket update for the person's digest (True), or let it go now."""
    if notice.kind != "ticket_updates" or not notice.audience.is_user:
        return False
    user_id = notice.audience.user_id
    if not Preference.select().where((Preference.user_id == user_id) & (Preference.email_digest == True)).exists():  # noqa: E712
        return False
    pending = (Held.select(Held.release_at).where((Held.channel == DIGEST) & (Held.user_id == user_id))
               .order_by(Held.release_at).first())
    window = dt.timedelta(seconds=settings.get("DIGEST_SECONDS", 300.0))
    _hold(envelope, notice, DIGEST, pending.release_at if pending else clock.now() + window, unless_read=False)
    return True


def release_digests(send_digest: Callable[[list], int], deliver: Callable[..., int], limit: int = 500) -> int:
    """Each person's due digest updates as one email (`send_digest(pairs)`), or the usual one when only one
    came (`deliver(envelope, notice, released=True)`); returns how many emails went."""
    now, sent, groups = clock.now(), 0, {}
    for held in (Held.select().where((Held.channel == DIGEST) & (Held.release_at <= now))
                 .order_by(Held.user_id, Held.release_at, Held.id).limit(limit)):
        claimed = (Held.update(release_at=now + LEASE)
                   .where((Held.id == held.id) & (Held.release_at == held.release_at)).execute())
        if claimed:
            groups.setdefault(held.user_id, []).append(held)
    for rows in groups.values():
        pairs = []
        for held in rows:
            envelope, notices = held_notices(held)
            pairs += [(envelope, notice) for notice in notices]
        if len(pairs) == 1:
            sent += deliver(*pairs[0], released=True)
        elif pairs:
            sent += send_digest(pairs)
        Held.delete().where(Held.id.in_([held.id for held in rows])).execute()
    return sent
