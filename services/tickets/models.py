"""The tickets service's one database, shared by its parts (tickets, guest verification,
the help center, the live chat): the proxy every model binds to, their base model, and
the outbox and processed-event tables. Datetimes are naive UTC."""
from __future__ import annotations

import peewee

from shared.consumer import make_processed_event_model
from shared.outbox import make_outbox_model

db = peewee.DatabaseProxy()


class BaseModel(peewee.Model):
    class Meta:
        database = db


OutboxMessage = make_outbox_model(db)
ProcessedEvent = make_processed_event_model(db)
