# Generated from the models by `python -m playhouse.migrations ... initial`; frozen from then on.
# Column defaults (clock.now) are the models' Python defaults; the partial index is written by hand.
# The outbox table is the shared model's (shared/db.py run_migrations makes it first);
# databases made before that got it here, with the same columns and indexes.
from peewee import *


def up(migrator, db):
    class GuestVerification(Model):
        email = CharField(unique=True, max_length=254)
        wrong_tries = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'guestverification'
    db.create_tables([GuestVerification])

    class VideoCall(Model):
        ticket_number = CharField(index=True, max_length=20)
        requester_kind = CharField(max_length=10)
        requester_user_id = IntegerField(null=True)
        requester_email = CharField(max_length=254)
        requester_name = CharField(null=True, max_length=120)
        requester_locale = CharField(max_length=10, default='en')
        agent_id = IntegerField(null=True)
        agent_name = CharField(null=True, max_length=120)
        status = CharField(max_length=20, default='proposed')
        booked_start = DateTimeField(null=True)
        booked_end = DateTimeField(null=True)
        booking_version = IntegerField(default=0)
        room_name = CharField(unique=True, max_length=64)
        translate_from = CharField(null=True, max_length=10)
        translate_to = CharField(null=True, max_length=10)
        outcome = CharField(null=True, max_length=20)
        outcome_note = TextField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        booked_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'videocall'
            indexes = ((('requester_user_id', 'id'), False), (('requester_email', 'status'), False), (('status', 'booked_start'), False))
    db.create_tables([VideoCall])
    db.execute_sql("CREATE UNIQUE INDEX videocall_one_open_per_ticket ON videocall (ticket_number) "
                   "WHERE status IN ('proposed', 'booked')")

    class Reminder(Model):
        call = ForeignKeyField(VideoCall, on_delete='CASCADE')
        booking_version = IntegerField()
        slot_start = DateTimeField()
        sent_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'reminder'
            indexes = ((('call', 'booking_version'), True),)
    db.create_tables([Reminder])

    class Slot(Model):
        call = ForeignKeyField(VideoCall, on_delete='CASCADE')
        start = DateTimeField()
        end = DateTimeField()
        withdrawn_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'slot'
            indexes = ((('call', 'start'), False),)
    db.create_tables([Slot])

    class VerificationCode(Model):
        email = CharField(max_length=254)
        code_hash = CharField(max_length=64)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'verificationcode'
            indexes = ((('email', 'created_at'), False),)
    db.create_tables([VerificationCode])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('verificationcode'))
    migrator.migrate(migrator.drop_table('slot'))
    migrator.migrate(migrator.drop_table('reminder'))
    migrator.migrate(migrator.drop_table('videocall'))
    migrator.migrate(migrator.drop_table('guestverification'))
