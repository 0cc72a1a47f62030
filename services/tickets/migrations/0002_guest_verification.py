# Generated from a schema diff by `python -m playhouse.migrations ... generate`: guest email verification.
# Frozen once published; timestamps need no database default (the models set them).
from peewee import *


def up(migrator, db):
    class Ticket(Model):
        class Meta:
            database = db
            table_name = 'ticket'

    class GuestCode(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        code_hash = CharField(max_length=64)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'guest_code'
            indexes = ((('ticket', 'created_at'), False),)
    db.create_tables([GuestCode])

    class GuestVerification(Model):
        ticket = ForeignKeyField(Ticket, unique=True, on_delete='CASCADE')
        wrong_tries = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        verified_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'guest_verification'
    db.create_tables([GuestVerification])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('guest_verification'))
    migrator.migrate(migrator.drop_table('guest_code'))
