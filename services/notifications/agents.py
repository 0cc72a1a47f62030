"""The agent directory of this service, from `agent.profile_changed.v1`: who is an agent, whether a
supervisor, of which department, and (in the address book) their email and language.

A change older than the one in force (an event retried late) changes nothing.
"""
from __future__ import annotations

from services.notifications.models import Agent, Contact
from services.notifications.notices import choose_locale
from services.notifications.profiles import unless_chosen
from shared import clock
from shared.events import Envelope


def record_agents(envelopes: list[Envelope]) -> list:
    """Each agent's row and address book entry; idempotent, and the newest change wins."""
    for envelope in envelopes:
        data = envelope.data
        changed_at = clock.parse_iso(envelope.occurred_at)
        values = {"name": data["name"][:200], "department": data.get("department"),
                  "supervisor": "supervisor" in (data.get("roles") or []), "active": bool(data.get("active", True)),
                  "changed_at": changed_at}
        (Agent.insert(user_id=data["user_id"], **values)
         .on_conflict(conflict_target=[Agent.user_id], update=values, where=(Agent.changed_at <= changed_at))
         .execute())
        contact, locale = {"email": data["email"].lower(), "updated_at": clock.now()}, choose_locale(data.get("locale"))
        # A language the agent chose (user.profile_changed.v1) is not undone.
        (Contact.insert(user_id=data["user_id"], locale=locale, **contact)
         .on_conflict(conflict_target=[Contact.user_id], update={**contact, "locale": unless_chosen(locale)})
         .execute())
    return []


def supervisors(department: str | None) -> list[int]:
    """The active supervisors of `department`; all active supervisors when it has none (or is not known)."""
    on_duty = (Agent.supervisor == True) & (Agent.active == True)  # noqa: E712 - SQL, not Python
    rows = [(row.user_id, row.department) for row in Agent.select(Agent.user_id, Agent.department)
            .where(on_duty).order_by(Agent.user_id)]
    own = [user_id for user_id, their_department in rows if department and their_department == department]
    return own or [user_id for user_id, _ in rows]
