# Service levels and satisfaction: new tables only. Every ticket already there gets its reporting
# row (no clock runs for it: its targets were never set), so the queue's SLA order lists it last.
# Written by hand; frozen.
import datetime

from peewee import *

FAR_FUTURE = datetime.datetime(9999, 12, 31)


def up(migrator, db):
    class Ticket(Model):
        created_at = DateTimeField()
        resolved_at = DateTimeField(null=True)
        status = CharField(max_length=20)
        tier = CharField(max_length=20)
        department = CharField(max_length=50, null=True)
        class Meta:
            database = db
            table_name = 'ticket'

    class SlaCalendar(Model):
        name = CharField(max_length=50, unique=True)
        timezone = CharField(max_length=64)
        hours = TextField()
        holidays = TextField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'sla_calendar'

    class SlaPolicy(Model):
        category = CharField(max_length=40)
        tier = CharField(max_length=20)
        first_response_s = IntegerField()
        next_response_s = IntegerField()
        resolution_s = IntegerField()
        calendar = CharField(max_length=50, default='always')
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'sla_policy'
            indexes = ((('category', 'tier'), True),)

    class SlaClock(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        metric = CharField(max_length=20)
        cycle = IntegerField(default=0)
        calendar = CharField(max_length=50)
        target_s = IntegerField()
        started_at = DateTimeField()
        remaining_s = IntegerField()
        running_since = DateTimeField(null=True)
        due_at = DateTimeField(null=True)
        achieved_at = DateTimeField(null=True)
        breached = BooleanField(default=False)
        settled = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'sla_clock'
            indexes = ((('ticket', 'metric'), True), (('settled', 'due_at'), False))

    class SlaBreach(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        metric = CharField(max_length=20)
        cycle = IntegerField()
        due_at = DateTimeField()
        published_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'sla_breach'
            indexes = ((('ticket', 'metric', 'cycle'), True),)

    class TicketSla(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE', unique=True)
        due_key = DateTimeField(index=True)
        created_at = DateTimeField()
        resolved_at = DateTimeField(null=True)
        status = CharField(max_length=20)
        tier = CharField(max_length=20)
        department = CharField(max_length=50, null=True)
        first_response_at = DateTimeField(null=True)
        first_response_s = IntegerField(null=True)
        resolution_s = IntegerField(null=True)
        met = IntegerField(default=0)
        missed = IntegerField(default=0)
        rating = CharField(max_length=4, null=True)
        rated_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'ticket_sla'
            indexes = ((('created_at', 'tier', 'department', 'first_response_s', 'met', 'missed'), False),
                       (('resolved_at', 'tier', 'department', 'resolution_s'), False),
                       (('status', 'tier', 'department', 'created_at'), False),
                       (('rated_at', 'tier', 'department', 'rating'), False),
                       (('first_response_s', 'created_at', 'tier', 'department'), False),
                       (('resolution_s', 'resolved_at', 'tier', 'department'), False))

    class Satisfaction(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE', unique=True)
        rating = CharField(max_length=4)
        comment = TextField(null=True)
        rated_at = DateTimeField(index=True)
        first_rated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'satisfaction'

    db.create_tables([SlaCalendar, SlaPolicy, SlaClock, SlaBreach, TicketSla, Satisfaction])
    copied = [Ticket.created_at, Ticket.resolved_at, Ticket.status, Ticket.tier, Ticket.department]
    TicketSla.insert_from(Ticket.select(Ticket.id, Value(FAR_FUTURE), Value(0), Value(0), *copied),
                          [TicketSla.ticket, TicketSla.due_key, TicketSla.met, TicketSla.missed,
                           TicketSla.created_at, TicketSla.resolved_at, TicketSla.status, TicketSla.tier,
                           TicketSla.department]).execute()


def down(migrator, db):
    for table in ('satisfaction', 'ticket_sla', 'sla_breach', 'sla_clock', 'sla_policy', 'sla_calendar'):
        migrator.migrate(migrator.drop_table(table))
