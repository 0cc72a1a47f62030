"""Reminders: `video.call_reminder_due.v1` once per booking, from an hour before its start.

The reminder row (UNIQUE per call and booking version) and the outbox event are
written in one transaction, so a reminder is sent once however many scheduler
replicas run: candidates are taken with FOR UPDATE SKIP LOCKED on PostgreSQL (the
SQLite write lock serialises replicas), and a replica that still races past both
meets the UNIQUE key and leaves that call alone. A moved or cancelled booking has
a new version, so the old booking's reminder is never sent.
"""
from __future__ import annotations

import logging

import peewee

from services.video.call_events import event_data
from services.video.models import Reminder, VideoCall
from services.video.rules import Rules
from shared import clock
from shared.db import for_update
from shared.events import EventType

log = logging.getLogger(__name__)


def _due(call: VideoCall, rules: Rules) -> bool:
    now = clock.now()
    return (call.status == "booked" and call.booked_start is not None
            and call.booked_start - rules.reminder_lead <= now < call.booked_end)


def _remind(outbox, call: VideoCall, rules: Rules) -> bool:
    """Record and emit the reminder of the call's current booking; False if it already had one."""
    try:
        with call._meta.database.atomic():  # a savepoint: a lost race undoes only this call's rows
            Reminder.create(call=call, booking_version=call.booking_version, slot_start=call.booked_start,
                            sent_at=clock.now())
            outbox.add(EventType.VIDEO_CALL_REMINDER_DUE, event_data(call, rules))
    except peewee.IntegrityError:
        return False
    return True


def remind_if_due(outbox, call: VideoCall, rules: Rules) -> bool:
    """At booking time: a call booked less than an hour ahead gets its reminder at once."""
    if not _due(call, rules):
        return False
    already = Reminder.select().where((Reminder.call == call)
                                      & (Reminder.booking_version == call.booking_version)).exists()
    return False if already else _remind(outbox, call, rules)


def send_due_reminders(outbox, database, rules: Rules, limit: int = 200) -> int:
    """One pass of the scheduler: remind every booked call within the lead time that has no reminder yet."""
    now = clock.now()
    reminded = Reminder.select(Reminder.id).where((Reminder.call == VideoCall.id)
                                                  & (Reminder.booking_version == VideoCall.booking_version))
    query = (VideoCall.select()
             .where((VideoCall.status == "booked")
                    & (VideoCall.booked_start <= now + rules.reminder_lead)
                    & (VideoCall.booked_end > now)
                    & ~peewee.fn.EXISTS(reminded))
             .order_by(VideoCall.booked_start)
             .limit(limit))
    sent = 0
    with database.connection_context():
        with database.atomic():
            for call in for_update(query, database):
                if _due(call, rules) and _remind(outbox, call, rules):
                    sent += 1
    if sent:
        log.info("video call reminders due", extra={"count": sent})
    return sent
