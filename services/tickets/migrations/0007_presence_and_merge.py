# Agents' presence on a ticket (one row per ticket and agent, upserted by each heartbeat) and
# merged tickets (`ticket.merged_into`: the number of the ticket the conversation continues in).
# Written by hand; frozen. Existing tickets get NULL: none of them is merged.
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('ticket', 'merged_into', CharField(max_length=12, null=True)),
        migrator.add_index('ticket', ('merged_into',), False),
    )

    class Ticket(Model):
        class Meta:
            database = db
            table_name = 'ticket'

    class TicketPresence(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE', index=False)
        agent_id = IntegerField()
        agent_name = CharField(max_length=120)
        state = CharField(max_length=10)
        since = DateTimeField()
        last_seen = DateTimeField()
        class Meta:
            database = db
            table_name = 'ticket_presence'
            indexes = ((('ticket', 'agent_id'), True), (('last_seen',), False))
    db.create_tables([TicketPresence])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('ticket_presence'),
        migrator.drop_index('ticket', 'ticket_merged_into'),
        migrator.drop_column('ticket', 'merged_into'),
    )
