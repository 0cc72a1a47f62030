"""Round-robin assignment: who gets a ticket.

A ticket's group is the agents who work its queue:
- a ticket with a department goes to the agents of that department (whatever their tier);
- a ticket without one goes to the agents of its tier who have no department (department agents
  are specialists: they still see the general standard queue, but are not handed its tickets).
These groups never overlap, so one lock per group serialises every choice that could collide.

Of the group, the agents who are `available` and active and hold fewer than `AGENT_MAX_OPEN` tickets
open or awaiting the customer may get it; the one whose last automatic assignment is the oldest
first. None free leaves the ticket in the queue.

Several replicas of the service: on PostgreSQL a transaction-level advisory lock on the group is
taken before the choice and held until the caller's transaction commits, so the next replica's
choice (a new statement, a new snapshot) sees this assignment: nobody passes the cap and the
rotation stays fair. On SQLite every write transaction begins IMMEDIATE, which serialises the same.
"""
from __future__ import annotations

import sys
import zlib

import peewee

from services.tickets.core.models import Ticket
from services.tickets.models import db
from services.tickets.workspace.agents import open_counts
from services.tickets.workspace.models import Agent
from shared import clock
from shared.db import is_postgres

DEFAULT_MAX_OPEN = 20


def max_open() -> int:
    """`AGENT_MAX_OPEN` of the running app (the service's config reads it). Where Flask was never
    loaded (the worker process) there is no app: the worker does not load it for this."""
    flask = sys.modules.get("flask")
    if flask is not None and flask.has_app_context():
        return int(flask.current_app.config.get("AGENT_MAX_OPEN", DEFAULT_MAX_OPEN))
    return DEFAULT_MAX_OPEN


def group_of(tier: str | None, department: str | None):
    if department:
        return Agent.department == department
    return (Agent.tier == (tier or "standard")) & Agent.department.is_null()


def belongs(agent_id: int | None, ticket: Ticket) -> bool:
    """Whether this agent works the ticket's queue (whatever its status or load)."""
    if agent_id is None:
        return False
    return Agent.select().where((Agent.user_id == agent_id) & (Agent.active == True)  # noqa: E712
                                & group_of(ticket.tier, ticket.department)).exists()


def _lock_group(ticket: Ticket) -> bool:
    """Take the group's lock until the transaction ends; False where there is none to take: SQLite's
    transactions (`BEGIN IMMEDIATE`) are one at a time already, so nothing changed since the first look."""
    database = db.obj
    if not is_postgres(database):
        return False
    schema = getattr(database, "_service_schema", "")
    key = zlib.crc32(f"{schema}:assign:{ticket.department or ''}:{ticket.tier}".encode())
    database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))
    return True


def choose(ticket: Ticket, limit: int | None = None) -> Agent | None:
    """The next agent of the ticket's group, under the group's lock; call inside a transaction.

    The lock is held until the caller commits, so every other choice in the group waits that long:
    it is taken only when a first look (without it) finds an agent free. Nobody free then means
    nobody to choose, whatever is committing meanwhile; otherwise the look is repeated under it.
    """
    limit = max_open() if limit is None else limit
    free = _free_agents(ticket, limit)
    if free and _lock_group(ticket):
        free = _free_agents(ticket, limit)
    return free[0] if free else None


def _free_agents(ticket: Ticket, limit: int) -> list[Agent]:
    """The group's available agents under the cap, in rotation order."""
    candidates = list(Agent.select()
                      .where(group_of(ticket.tier, ticket.department) & (Agent.status == "available")
                             & (Agent.active == True))  # noqa: E712
                      .order_by(Agent.assign_seq, Agent.user_id))
    held = open_counts([agent.user_id for agent in candidates])
    return [agent for agent in candidates if held.get(agent.user_id, 0) < limit]


def note_assignment(agent_id: int) -> None:
    """The agent got a ticket: it goes to the end of the rotation."""
    last = Agent.select(peewee.fn.MAX(Agent.assign_seq)).scalar() or 0
    Agent.update(assign_seq=last + 1, last_assigned_at=clock.now()).where(Agent.user_id == agent_id).execute()
