"""The tickets service's one database, shared by its parts (tickets, guest verification,
the help center, the live chat): the proxy every model binds to, their base model, and
the outbox and processed-event tables. Datetimes are naive UTC."""
from __future__ import annotations

from pathlib import Path

import peewee

from services.tickets import config
from shared.consumer import make_processed_event_model
from shared.db import open_service_database
from shared.outbox import make_outbox_model

db = peewee.DatabaseProxy()

MIGRATIONS = Path(__file__).parent / "migrations"


def init_database(url: str, migrate: bool = True):
    """Point `db` at the service's database and migrate it: here, not in app.py, so the worker
    process opens it without importing the service's web views (issue 23: its memory)."""
    return open_service_database(db, url, config.SERVICE, MIGRATIONS, migrate)


class BaseModel(peewee.Model):
    class Meta:
        database = db


OutboxMessage = make_outbox_model(db)
ProcessedEvent = make_processed_event_model(db)
