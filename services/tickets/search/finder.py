"""An agent's search: exact identifiers (a ticket number, a TXID, an order number, a
requester's email) and tags, each answered by an index lookup, never the full-text index;
then the tickets whose subject or messages hold the question's words, best first.
Only the tickets the agent may see are answered."""
from __future__ import annotations

import operator
import re
from functools import reduce

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
    """Tickets the question names by number, TXID, order number or requester email: one query,
    each alternative answered by its column's index; the ticket of that number first."""
    named = []
    if NUMBER.match(question):
        named.append(Ticket.number == question)
    if TXID.match(question):
        named.append(Ticket.txid.in_(list(dict.fromkeys([question, question.lower()]))))
    if ORDER_ID.match(question):
        named.append(Ticket.order_id == question)
    if EMAIL.match(question):
        named.append(Ticket.requester_email == question.lower())
    if not named:
        return []
    return list(Ticket.select().where(visible_to(agent) & reduce(operator.or_, named))
                .order_by((Ticket.number == question).desc(), Ticket.updated_at.desc(), Ticket.id.desc())
                .limit(limit))


def _tagged(agent: Caller, question: str, limit: int) -> list[Ticket]:
    tag = ticket_tags.normalize(question)
    if not ticket_tags.TAG.match(tag):
        return []
    # Newest ticket first, read backwards from the tag's index: `limit` rows, however many have the tag.
    return list(Ticket.select().join(TicketTag, on=(TicketTag.ticket == Ticket.id))
                .where(visible_to(agent) & (TicketTag.tag == tag))
                .order_by(TicketTag.ticket.desc()).limit(limit))


def _keys(agent: Caller, ids) -> dict[int, tuple]:
    """{id: (updated_at, merged_into, visible to the agent)} of some tickets, in one query."""
    return {row[0]: row[1:] for row in Ticket.select(Ticket.id, Ticket.updated_at, Ticket.merged_into,
                                                     visible_to(agent).alias("visible"))
            .where(Ticket.id.in_(list(ids))).tuples()}


def _words(agent: Caller, question: str, limit: int, skip: set[int]) -> list[Ticket]:
    scores = index_for(db.obj).match(terms(question))
    keys = _keys(agent, scores) if scores else {}
    for ticket_id, (_, merged_into, _) in list(keys.items()):
        if merged_into:
            # A merged ticket's messages show in the history of the ticket its conversation
            # continues in (services/tickets/core/merge_links.py): that ticket is the one found.
            target = merged_target(Ticket.get_by_id(ticket_id))
            if target.id != ticket_id:
                score = scores.pop(ticket_id)
                scores[target.id] = max(score, scores.get(target.id, score))
                keys.update(_keys(agent, [target.id]))
    # Rank on the keys alone, then load the few tickets shown.
    ranked = sorted((ticket_id for ticket_id in scores if ticket_id in keys and keys[ticket_id][2]
                     and ticket_id not in skip),
                    key=lambda ticket_id: (-scores[ticket_id], -keys[ticket_id][0].timestamp(), -ticket_id))[:limit]
    tickets = {t.id: t for t in Ticket.select().where(Ticket.id.in_(ranked))} if ranked else {}
    return [tickets[ticket_id] for ticket_id in ranked]


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
