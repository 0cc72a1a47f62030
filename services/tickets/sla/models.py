"""Service levels' and satisfaction's tables: calendars and policies (supervisors edit them),
each ticket's clocks, the breaches published, the per-ticket figures the reports read, and ratings."""
from __future__ import annotations

import peewee

from services.tickets.core.models import Ticket
from services.tickets.models import BaseModel
from shared import clock

METRICS = ("first_response", "next_response", "resolution")


class SlaCalendar(BaseModel):
    name = peewee.CharField(max_length=50, unique=True)
    timezone = peewee.CharField(max_length=64)
    hours = peewee.TextField()  # JSON: {"mon": [["09:00", "18:00"]], ...}
    holidays = peewee.TextField()  # JSON: ["2027-01-01", ...]
    updated_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        table_name = "sla_calendar"


class SlaPolicy(BaseModel):
    """A supervisor's targets for one category and tier; absent rows take the documented defaults."""

    category = peewee.CharField(max_length=40)
    tier = peewee.CharField(max_length=20)
    first_response_s = peewee.IntegerField()
    next_response_s = peewee.IntegerField()
    resolution_s = peewee.IntegerField()
    calendar = peewee.CharField(max_length=50, default="always")
    updated_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        table_name = "sla_policy"
        indexes = ((("category", "tier"), True),)


class SlaClock(BaseModel):
    """One target of one ticket. Running: `due_at` set, `running_since` set. Paused: both null and
    `remaining_s` holds the open seconds left. `cycle` counts next-response rounds."""

    ticket = peewee.ForeignKeyField(Ticket, on_delete="CASCADE")
    metric = peewee.CharField(max_length=20)
    cycle = peewee.IntegerField(default=0)
    calendar = peewee.CharField(max_length=50)
    target_s = peewee.IntegerField()
    started_at = peewee.DateTimeField()
    remaining_s = peewee.IntegerField()
    running_since = peewee.DateTimeField(null=True)
    due_at = peewee.DateTimeField(null=True)
    achieved_at = peewee.DateTimeField(null=True)
    breached = peewee.BooleanField(default=False)
    settled = peewee.BooleanField(default=False)  # achieved in time, or its breach published

    class Meta:
        table_name = "sla_clock"
        indexes = ((("ticket", "metric"), True), (("settled", "due_at"), False))


class SlaBreach(BaseModel):
    """A published `ticket.sla_breached.v1`: UNIQUE per ticket, metric and round, so once however
    many schedulers run."""

    ticket = peewee.ForeignKeyField(Ticket, on_delete="CASCADE")
    metric = peewee.CharField(max_length=20)
    cycle = peewee.IntegerField()
    due_at = peewee.DateTimeField()
    published_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        table_name = "sla_breach"
        indexes = ((("ticket", "metric", "cycle"), True),)


class TicketSla(BaseModel):
    """The reporting row of a ticket, kept in the transactions that change its clocks or status.

    `due_key` is the earliest due time of its running clocks (FAR_FUTURE when none runs): the
    queue's `?sort=sla` order. Times are calendar (elapsed) seconds from creation. The ticket's
    creation, resolution, status, tier and department are copied here so that a report reads one
    narrow table through covering indexes."""

    ticket = peewee.ForeignKeyField(Ticket, on_delete="CASCADE", unique=True)
    due_key = peewee.DateTimeField(index=True)
    created_at = peewee.DateTimeField()
    resolved_at = peewee.DateTimeField(null=True)
    status = peewee.CharField(max_length=20)
    tier = peewee.CharField(max_length=20)
    department = peewee.CharField(max_length=50, null=True)
    first_response_at = peewee.DateTimeField(null=True)
    first_response_s = peewee.IntegerField(null=True)
    resolution_s = peewee.IntegerField(null=True)
    met = peewee.IntegerField(default=0)  # targets achieved in time
    missed = peewee.IntegerField(default=0)  # targets breached
    rating = peewee.CharField(max_length=4, null=True)  # the satisfaction rating, and when it was given
    rated_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "ticket_sla"
        indexes = ((("created_at", "tier", "department", "first_response_s", "met", "missed"), False),
                   (("resolved_at", "tier", "department", "resolution_s"), False),
                   (("status", "tier", "department", "created_at"), False),
                   (("rated_at", "tier", "department", "rating"), False),
                   # In the order of the times: SQLite finds a percentile by walking them (sla.reports).
                   (("first_response_s", "created_at", "tier", "department"), False),
                   (("resolution_s", "resolved_at", "tier", "department"), False))


class Satisfaction(BaseModel):
    ticket = peewee.ForeignKeyField(Ticket, on_delete="CASCADE", unique=True)
    rating = peewee.CharField(max_length=4)  # good | bad
    comment = peewee.TextField(null=True)
    rated_at = peewee.DateTimeField(index=True)
    first_rated_at = peewee.DateTimeField()

    class Meta:
        table_name = "satisfaction"
