"""The agents' queue in SLA order: the earliest due time of a ticket's running clocks first, tickets
with none running last, paged by (due time, id)."""
from __future__ import annotations

from peewee import JOIN, fn

from services.tickets.core.models import Ticket
from services.tickets.sla.clocks import FAR_FUTURE
from services.tickets.sla.models import TicketSla
from shared.clock import parse_iso
from shared.pagination import keyset_page


def page(query, limit: int, cursor: str | None):
    due = fn.COALESCE(TicketSla.due_key, FAR_FUTURE)
    query = query.select_extend(due.alias("sla_key")).join(TicketSla, JOIN.LEFT_OUTER, on=(TicketSla.ticket == Ticket.id))
    return keyset_page(query, [due, Ticket.id], limit, cursor, descending=False,
                       key_of=lambda row: [_moment(row.sla_key), row.id])


def _moment(value):
    """SQLite hands a computed column back as text."""
    if isinstance(value, str):
        return parse_iso(value.replace(" ", "T"))
    return value
