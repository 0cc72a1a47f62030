"""The breach scheduler: `ticket.sla_breached.v1` once per ticket, target and round.

A clock past its due time (running, or flagged `breached` when it was achieved or paused late) and
not yet `settled` gets a `sla_breach` row (UNIQUE per ticket, metric and round) and the outbox event
in one transaction. As with the video reminders, candidates are taken with FOR UPDATE SKIP LOCKED on
PostgreSQL (SQLite's write lock serialises replicas) and a replica that still races past both meets
the UNIQUE key, so however many schedulers run the event goes out once.
"""
from __future__ import annotations

import logging

import peewee

from services.tickets.core.models import Ticket
from services.tickets.core.workflow import event_data
from services.tickets.sla.models import SlaBreach, SlaClock, TicketSla
from shared import clock
from shared.db import for_update
from shared.events import EventType

log = logging.getLogger(__name__)


def _publish(outbox, sla: SlaClock) -> bool:
    try:
        with sla._meta.database.atomic():  # a savepoint: a lost race undoes only this clock's rows
            SlaBreach.create(ticket=sla.ticket_id, metric=sla.metric, cycle=sla.cycle, due_at=sla.due_at,
                             published_at=clock.now())
            if not sla.breached:
                TicketSla.update(missed=TicketSla.missed + 1).where(TicketSla.ticket == sla.ticket_id).execute()
            SlaClock.update(breached=True, settled=True).where(SlaClock.id == sla.id).execute()
            ticket = Ticket.get_by_id(sla.ticket_id)
            outbox.add(EventType.TICKET_SLA_BREACHED,
                       event_data(ticket, metric=sla.metric, due_at=clock.isoformat(sla.due_at)))
    except peewee.IntegrityError:
        return False
    return True


def publish_due_breaches(outbox, database, limit: int = 200) -> int:
    """One pass of the scheduler."""
    now = clock.now()
    late = SlaClock.breached | (SlaClock.running_since.is_null(False) & SlaClock.achieved_at.is_null())
    query = (SlaClock.select()
             .where((SlaClock.settled == False) & (SlaClock.due_at <= now) & late)  # noqa: E712
             .order_by(SlaClock.due_at)
             .limit(limit))
    published = 0
    with database.connection_context():
        with database.atomic():
            for sla in for_update(query, database):
                if _publish(outbox, sla):
                    published += 1
    if published:
        log.info("sla breaches published", extra={"count": published})
    return published
