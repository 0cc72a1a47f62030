"""Which agents are on a ticket right now: each open ticket page sends a heartbeat
(`viewing` or `typing`) every few seconds, and an agent counts as present for
PRESENCE_WINDOW after the last one.

One row per ticket and agent, upserted by each heartbeat (no history grows): `since`
is when the current state began, `last_seen` the last heartbeat. Rows older than
PRUNE_AFTER are deleted by later heartbeats, through the `last_seen` index.
"""
from __future__ import annotations

import datetime as dt

import peewee

from services.tickets.core.models import Ticket
from services.tickets.models import BaseModel
from shared import clock
from shared.internal_auth import Caller

STATES = ("viewing", "typing")
PRESENCE_WINDOW = dt.timedelta(seconds=30)
PRUNE_AFTER = dt.timedelta(hours=1)


class TicketPresence(BaseModel):
    ticket = peewee.ForeignKeyField(Ticket, on_delete="CASCADE", index=False)
    agent_id = peewee.IntegerField()
    agent_name = peewee.CharField(max_length=120)
    state = peewee.CharField(max_length=10)
    since = peewee.DateTimeField()
    last_seen = peewee.DateTimeField()

    class Meta:
        table_name = "ticket_presence"
        indexes = ((("ticket", "agent_id"), True), (("last_seen",), False))


def heartbeat(ticket: Ticket, agent: Caller, state: str) -> None:
    """Record that `agent` is on `ticket` in `state` now: one upsert, then a prune of old rows."""
    now = clock.now()
    name = agent.name or (agent.email or "Agent").split("@")[0]
    excluded = peewee.EXCLUDED
    # `since` stays while the agent keeps the same state without a gap; a new state, or a
    # return after the window, starts it again.
    same_spell = (TicketPresence.state == excluded.state) & (TicketPresence.last_seen >= now - PRESENCE_WINDOW)
    (TicketPresence
     .insert(ticket=ticket.id, agent_id=agent.user_id, agent_name=name[:120], state=state, since=now, last_seen=now)
     .on_conflict(conflict_target=[TicketPresence.ticket, TicketPresence.agent_id],
                  update={TicketPresence.since: peewee.Case(None, [(same_spell, TicketPresence.since)], excluded.since),
                          TicketPresence.state: excluded.state, TicketPresence.last_seen: excluded.last_seen,
                          TicketPresence.agent_name: excluded.agent_name})
     .execute())
    TicketPresence.delete().where(TicketPresence.last_seen < now - PRUNE_AFTER).execute()


def viewers(ticket: Ticket, exclude_agent_id: int | None) -> list[dict]:
    """The agents present on the ticket now, but the one asking, by name."""
    query = (TicketPresence.select()
             .where((TicketPresence.ticket == ticket.id)
                    & (TicketPresence.last_seen >= clock.now() - PRESENCE_WINDOW))
             .order_by(TicketPresence.agent_name, TicketPresence.agent_id))
    if exclude_agent_id is not None:
        query = query.where(TicketPresence.agent_id != exclude_agent_id)
    return [{"agent": {"id": row.agent_id, "name": row.agent_name}, "state": row.state,
             "since": clock.isoformat(row.since)} for row in query]
