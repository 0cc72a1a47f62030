"""Everyone an event tells something, one notice each: its requester's (`notices.compose`) and the
agents' (`agent_notices.compose_for_agents`), with a group (the supervisors) named person by person
from the agent directory (`agents.py`). Every channel starts from here, so they agree on who hears what.
"""
from __future__ import annotations

import dataclasses

from services.notifications.agent_notices import SUPERVISORS, compose_for_agents
from services.notifications.agents import supervisors
from services.notifications.notices import Audience, Notice, compose
from shared.events import Envelope


def _expand(notice: Notice) -> list[Notice]:
    if notice.audience.group != SUPERVISORS:
        return [notice]
    return [dataclasses.replace(notice, audience=Audience(user_id, None, None))
            for user_id in supervisors(notice.audience.department)]


def notices_for(envelope: Envelope) -> list[Notice]:
    """One notice per person the event tells something (the first one, should two name the same person)."""
    composed = compose(envelope)
    notices = ([composed] if composed is not None else []) + [
        expanded for notice in compose_for_agents(envelope) for expanded in _expand(notice)]
    seen, unique = set(), []
    for notice in notices:
        who = notice.audience.user_id if notice.audience.is_user else (notice.audience.email or "").lower()
        if who not in seen:
            seen.add(who)
            unique.append(notice)
    return unique
