"""The agent directory: who the agents are (from the gateway's `agent.profile_changed.v1`, and
from the claims of every agent calling this service, so an agent is known even before the event
arrives), whether they take tickets now, and how many open tickets each holds."""
from __future__ import annotations

import peewee

from services.tickets.core.models import ACTIVE_STATUSES, Ticket
from services.tickets.workspace.models import AGENT_STATUSES, Agent
from shared import clock
from shared.errors import ApiError
from shared.events import Envelope
from shared.internal_auth import Caller

# What the claims of a calling agent set; status and active are the directory's own.
_PROFILE = ("email", "name", "tier", "department", "roles")


def _profile(email: str, name: str | None, tier: str | None, department: str | None, roles) -> dict:
    return {"email": email.lower(), "name": (name or email.split("@")[0])[:120], "tier": tier or "standard",
            "department": department or None, "roles": ",".join(sorted(r for r in roles or () if r))}


def upsert(user_id: int, profile: dict, **extra) -> None:
    """Insert the agent, or bring its profile up to date; a new agent is `available`."""
    now = clock.now()
    values = {**profile, **extra, "updated_at": now}
    update = {getattr(Agent, name): value for name, value in values.items()}
    (Agent.insert(user_id=user_id, **values)
     .on_conflict(conflict_target=[Agent.user_id], update=update)
     .execute())


def record_profile_event(envelope: Envelope) -> None:
    """`agent.profile_changed.v1`: an agent made or changed by `make create-agent`."""
    data = envelope.data
    upsert(int(data["user_id"]), _profile(data["email"], data.get("name"), data.get("tier"), data.get("department"),
                                          data.get("roles")),
           locale=data.get("locale"), active=bool(data.get("active", True)))


def remember_caller() -> None:
    """Before every request: an agent's claims keep its directory row current. Written only when
    they differ from what this process last wrote, so most requests cost nothing."""
    from flask import current_app, g  # here: the worker process, which imports this module, loads no Flask

    caller: Caller | None = g.get("caller")
    if caller is None or not caller.is_agent or not caller.user_id or not caller.email:
        return
    profile = _profile(caller.email, caller.name, caller.tier, caller.department, caller.roles)
    seen = current_app.extensions.setdefault("agents_seen", {})
    key = tuple(profile[name] for name in _PROFILE)
    if seen.get(caller.user_id) == key:
        return
    row = Agent.get_or_none(Agent.user_id == caller.user_id)
    if row is None or any(getattr(row, name) != profile[name] for name in _PROFILE):
        upsert(caller.user_id, profile)
    if len(seen) > 10_000:
        seen.clear()
    seen[caller.user_id] = key


def open_counts(agent_ids: list[int] | None = None) -> dict[int, int]:
    """Tickets open or awaiting the customer, per assignee."""
    query = (Ticket.select(Ticket.assignee_id, peewee.fn.COUNT(Ticket.id).alias("held"))
             .where(Ticket.status.in_(ACTIVE_STATUSES) & Ticket.assignee_id.is_null(False))
             .group_by(Ticket.assignee_id))
    if agent_ids is not None:
        if not agent_ids:
            return {}
        query = query.where(Ticket.assignee_id.in_(agent_ids))
    return {row.assignee_id: row.held for row in query}


def agent_dict(agent: Agent, held: int) -> dict:
    return {"id": agent.user_id, "name": agent.name, "email": agent.email, "tier": agent.tier,
            "department": agent.department, "roles": agent.role_list, "status": agent.status,
            "active": agent.active, "open_assigned": held,
            "last_assigned_at": clock.isoformat(agent.last_assigned_at)}


def directory() -> list[dict]:
    """The active agents, by name."""
    agents = list(Agent.select().where(Agent.active == True).order_by(Agent.name, Agent.user_id))  # noqa: E712
    held = open_counts([a.user_id for a in agents])
    return [agent_dict(a, held.get(a.user_id, 0)) for a in agents]


def set_status(caller: Caller, status: str) -> dict:
    if status not in AGENT_STATUSES:
        raise ApiError(400, "validation_error", "Some fields are missing or invalid.",
                       {"fields": {"status": [f"Use one of {', '.join(AGENT_STATUSES)}."]}})
    agent = Agent.get_or_none(Agent.user_id == caller.user_id)
    if agent is None:  # a caller without an email in its claims: remember it now
        upsert(caller.user_id, _profile(caller.email or f"agent{caller.user_id}@unknown", caller.name, caller.tier,
                                        caller.department, caller.roles))
        agent = Agent.get_by_id(caller.user_id)
    agent.status = status
    agent.updated_at = clock.now()
    agent.save()
    return agent_dict(agent, open_counts([agent.user_id]).get(agent.user_id, 0))


def names(agent_ids) -> dict[int, str]:
    """The directory's names of these agents (ids it does not know yet are left out)."""
    ids = sorted({i for i in agent_ids if i is not None})
    if not ids:
        return {}
    return {a.user_id: a.name for a in Agent.select(Agent.user_id, Agent.name).where(Agent.user_id.in_(ids))}
