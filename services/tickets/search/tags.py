"""Tickets' tags: normalised (trimmed, lower case, 1-40 letters, digits, `-` or `_`), at most
20 on a ticket, replaced as a whole by the agent's list."""
from __future__ import annotations

import re
from collections.abc import Iterable

from services.tickets.core.models import Ticket
from services.tickets.search.models import TicketTag
from shared import clock

MAX_TAGS = 20
MAX_LENGTH = 40
TAG = re.compile(rf"^[\w-]{{1,{MAX_LENGTH}}}$")


def normalize(tag: str) -> str:
    return tag.strip().lower()


def problems(tags: Iterable[str]) -> list[str]:
    """What is wrong with an agent's list of tags (empty when it is fine)."""
    found = []
    tags = list(tags)
    bad = [t for t in tags if not TAG.match(normalize(t))]
    if bad:
        found.append(f"A tag is 1-{MAX_LENGTH} letters, digits, '-' or '_': {', '.join(repr(t) for t in bad[:5])}.")
    if len(set(map(normalize, tags))) > MAX_TAGS:
        found.append(f"A ticket has at most {MAX_TAGS} tags.")
    return found


def normalized(tags: Iterable[str]) -> list[str]:
    """The tags in their stored form, each once, in the agent's order."""
    return list(dict.fromkeys(normalize(t) for t in tags))


def set_tags(ticket: Ticket, tags: list[str]) -> list[str]:
    """Replace the ticket's tags with `tags` (already normalised); runs in the caller's transaction."""
    current = set(tags_of([ticket.id]).get(ticket.id, []))
    wanted = set(tags)
    if current - wanted:
        TicketTag.delete().where((TicketTag.ticket == ticket) & TicketTag.tag.in_(list(current - wanted))).execute()
    now = clock.now()
    new = [{"ticket": ticket.id, "tag": tag, "created_at": now} for tag in tags if tag not in current]
    if new:
        TicketTag.insert_many(new).execute()
    return sorted(wanted)


def tags_of(ticket_ids: list[int]) -> dict[int, list[str]]:
    """Each ticket's tags, sorted, in one query."""
    found: dict[int, list[str]] = {}
    if ticket_ids:
        for ticket_id, tag in (TicketTag.select(TicketTag.ticket, TicketTag.tag)
                               .where(TicketTag.ticket.in_(ticket_ids)).order_by(TicketTag.tag).tuples()):
            found.setdefault(ticket_id, []).append(tag)
    return found


def tagged(tag: str):
    """The condition "the ticket has this tag", for a query on Ticket (answered from the tag index)."""
    return Ticket.id.in_(TicketTag.select(TicketTag.ticket).where(TicketTag.tag == normalize(tag)))
