# Generated from the models by `python -m playhouse.migrations ... initial`; frozen from then on.
# The outbox and processed_event tables are the shared models' (shared/db.py run_migrations makes
# them first); databases made before that got them here, with the same columns and indexes.
from peewee import *


def up(migrator, db):
    class Ticket(Model):
        number = CharField(unique=True, max_length=12)
        requester_kind = CharField(max_length=10)
        requester_user_id = IntegerField(null=True)
        requester_email = CharField(max_length=254)
        requester_name = CharField(null=True, max_length=120)
        locale = CharField(max_length=10, default='en')
        channel = CharField(max_length=10, default='web')
        subject = CharField(max_length=200)
        category = CharField(max_length=40)
        description = TextField()
        txid = CharField(index=True, null=True, max_length=128)
        order_id = CharField(index=True, null=True, max_length=64)
        occurred_at = DateTimeField(null=True)
        status = CharField(max_length=20, default='open')
        tier = CharField(max_length=20, default='standard')
        department = CharField(null=True, max_length=50)
        assignee_id = IntegerField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        resolved_at = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'ticket'
            indexes = ((('requester_user_id', 'updated_at', 'id'), False), (('requester_email', 'requester_kind', 'status'), False), (('status', 'tier', 'department', 'updated_at'), False), (('status', 'resolved_at'), False))
    db.create_tables([Ticket])

    class Message(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        author_role = CharField(max_length=10)
        author_id = IntegerField(null=True)
        author_name = CharField(max_length=120)
        kind = CharField(max_length=20)
        body = TextField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'message'
            indexes = ((('ticket', 'created_at'), False),)
    db.create_tables([Message])

    class Attachment(Model):
        id = CharField(primary_key=True, max_length=36)
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        message = ForeignKeyField(Message, on_delete='CASCADE')
        filename = CharField()
        content_type = CharField(max_length=100)
        size = IntegerField()
        sha256 = CharField(max_length=64)
        storage_name = CharField(max_length=64)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'attachment'
    db.create_tables([Attachment])

    class Escalation(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        reason = TextField()
        tier = CharField(null=True, max_length=20)
        department = CharField(null=True, max_length=50)
        status = CharField(max_length=20, default='pending')
        requested_at = DateTimeField()
        accepted_at = DateTimeField(null=True)
        accepted_by = IntegerField(null=True)
        class Meta:
            database = db
            table_name = 'escalation'
            indexes = ((('ticket', 'status'), False),)
    db.create_tables([Escalation])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('escalation'))
    migrator.migrate(migrator.drop_table('attachment'))
    migrator.migrate(migrator.drop_table('message'))
    migrator.migrate(migrator.drop_table('ticket'))
