# Generated from the models by `python -m playhouse.migrations ... initial`; frozen from then on.
# Amounts are exact decimals kept as text (the models' AmountField is a CharField).
# The outbox and processed_event tables are the shared models' (shared/db.py run_migrations makes
# them first); databases made before that got them here, with the same columns and indexes.
from peewee import *


def up(migrator, db):
    class Activity(Model):
        user_id = IntegerField()
        kind = CharField(max_length=20)
        occurred_at = DateTimeField()
        usdt_value = CharField(null=True, max_length=40)
        source_key = CharField(unique=True, max_length=200)
        event_id = CharField(max_length=36)
        recorded_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'activity'
            indexes = ((('user_id', 'kind'), False),)
    db.create_tables([Activity])

    class LedgerEntry(Model):
        user_id = IntegerField()
        account = CharField(max_length=20, default='funding')
        type = CharField(max_length=30)
        asset = CharField(max_length=20)
        amount = CharField(max_length=40)
        status = CharField(max_length=10, default='pending')
        reference = CharField(unique=True, max_length=64)
        created_at = DateTimeField()
        credited_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'ledger_entry'
            indexes = ((('user_id', 'id'), False), (('status', 'id'), False))
    db.create_tables([LedgerEntry])

    class Member(Model):
        user_id = IntegerField(primary_key=True)
        region = CharField(null=True, max_length=8)
        parent_id = IntegerField(null=True)
        referral_code = CharField(null=True, max_length=32)
        inviter_id = IntegerField(index=True, null=True)
        registered_at = DateTimeField()
        recorded_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'member'
    db.create_tables([Member])

    class MysteryBox(Model):
        user_id = IntegerField()
        invitee_id = IntegerField()
        role = CharField(max_length=10)
        milestone = CharField(max_length=20)
        status = CharField(max_length=10, default='unopened')
        granted_at = DateTimeField()
        opened_at = DateTimeField(null=True)
        reward_kind = CharField(null=True, max_length=20)
        reward_amount = CharField(null=True, max_length=40)
        reward_usdt_value = CharField(null=True, max_length=40)
        price_used = CharField(null=True, max_length=40)
        prize_table_version = CharField(null=True, max_length=40)
        class Meta:
            database = db
            table_name = 'mystery_box'
            indexes = ((('invitee_id', 'milestone', 'role'), True), (('user_id', 'id'), False))
    db.create_tables([MysteryBox])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('mystery_box'))
    migrator.migrate(migrator.drop_table('member'))
    migrator.migrate(migrator.drop_table('ledger_entry'))
    migrator.migrate(migrator.drop_table('activity'))
