"""An agent's search: exact identifiers (a ticket number, a TXID, an order number, a
requester's email) and tags, each answered by an index lookup, never the full-text index;
then the tickets whose subject or messages hold the question's words, best first.
Only the tickets the agent may see are answered."""
from __future__ import annotations

import re

from services.tickets.core.access import visible_to
from services.tickets.core.merge_links import merged_target
from services.tickets.core.models import Ticket
from services.tickets.models import db
from services.tickets.search import tags as ticket_tags
from services.tickets.search.index import index_for, terms
from services.tickets.search.models import TicketTag
from shared.internal_auth import Caller

NUMBER = re.compile(r"^\d{8}$")
TXID = re.compile(r"^[A-Za-z0-9:_\-]{8,128}$")
ORDER_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def _identifiers(agent: Caller, question: str, limit: int) -> list[Ticket]:
    """Tickets the question names by number, TXID, order number or requester email."""
    visible = visible_to(agent)
    newest = (Ticket.updated_at.desc(), Ticket.id.desc())
    lookups = []
    if NUMBER.match(question):
        lookups.append(Ticket.select().where(visible & (Ticket.number == question)))
    if TXID.match(question):
        values = list(dict.fromkeys([question, question.lower()]))
        lookups.append(Ticket.select().where(visible & Ticket.txid.in_(values)).order_by(*newest).limit(limit))
    if ORDER_ID.match(question):
        lookups.append(Ticket.select().where(visible & (Ticket.order_id == question)).order_by(*newest).limit(limit))
    if EMAIL.match(question):
        lookups.append(Ticket.select().where(visible & (Ticket.requester_email == question.lower()))
                       .order_by(*newest).limit(limit))
    found: dict[int, Ticket] = {}
    for query in lookups:
        for ticket in query:
            found.setdefault(ticket.id, ticket)
    return list(found.values())[:limit]


def _tagged(agent: Caller, question: str, limit: int) -> list[Ticket]:
    tag = ticket_tags.normalize(question)
    if not ticket_tags.TAG.match(tag):
        return []
    # Newest ticket first, read backwards from the tag's index: `limit` rows, however many have the tag.
    return list(Ticket.select().join(TicketTag, on=(TicketTag.ticket == Ticket.id))
                .where(visible_to(agent) & (TicketTag.tag == tag))
                .order_by(TicketTag.ticket.desc()).limit(limit))


def _continued(scores: dict[int, float]) -> dict[int, float]:
    """The scores with each merged ticket's given to the ticket its conversation continues in,
    whose history shows the merged ticket's messages (services/tickets/core/merge_links.py)."""
    merged = list(Ticket.select().where(Ticket.id.in_(list(scores)) & Ticket.merged_into.is_null(False)))
    for ticket in merged:
        target = merged_target(ticket)
        if target.id != ticket.id:
            score = scores.pop(ticket.id)
            scores[target.id] = max(score, scores.get(target.id, score))
    return scores


def _words(agent: Caller, question: str, limit: int, skip: set[int]) -> list[Ticket]:
    scores = index_for(db.obj).match(terms(question))
    if scores:
        scores = _continued(scores)
    candidates = [ticket_id for ticket_id in scores if ticket_id not in skip]
    if not candidates:
        return []
    # Rank on the keys alone, then load the few tickets shown.
    keys = list(Ticket.select(Ticket.id, Ticket.updated_at).where(visible_to(agent) & Ticket.id.in_(candidates))
                .tuples())
    keys.sort(key=lambda key: (-scores[key[0]], -key[1].timestamp(), -key[0]))
    chosen = [ticket_id for ticket_id, _ in keys[:limit]]
    tickets = {t.id: t for t in Ticket.select().where(Ticket.id.in_(chosen))} if chosen else {}
    return [tickets[ticket_id] for ticket_id in chosen]


def search(agent: Caller, question: str, limit: int) -> list[Ticket]:
    """Up to `limit` tickets for the question, best first.

    A question that names tickets by an identifier gets those alone: that is what the agent meant.
    Otherwise the tickets with that tag come first, then those whose words match.
    """
    question = question.strip()
    found = _identifiers(agent, question, limit)
    if found or EMAIL.match(question):
        return found
    found = _tagged(agent, question, limit)
    if len(found) < limit:
        found += _words(agent, question, limit - len(found), {t.id for t in found})
    return found
