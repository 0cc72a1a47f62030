"""A ticket's tags: lower-case labels agents put on tickets to find and group them.

The full-text index lives beside the tickets and is not a peewee model: FTS5 tables
`message_fts` and `ticket_fts` filled by triggers on SQLite, stored generated
`search_vector` columns with GIN indexes on PostgreSQL (migration 0008).
"""
from __future__ import annotations

import peewee

from services.tickets.core.models import Ticket
from services.tickets.models import BaseModel
from shared import clock


class TicketTag(BaseModel):
    ticket = peewee.ForeignKeyField(Ticket, backref="tags", on_delete="CASCADE")
    tag = peewee.CharField(max_length=40)
    created_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        table_name = "ticket_tag"
        indexes = ((("ticket", "tag"), True), (("tag", "ticket"), False))
