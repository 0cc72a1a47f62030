# Generated from the models by `python -m playhouse.migrations ... initial`; frozen from then on.
# The outbox and processed_event tables are the shared models' (shared/db.py run_migrations makes
# them first); databases made before that got them here, with the same columns and indexes.
from peewee import *


def up(migrator, db):
    class Account(Model):
        email = CharField(unique=True, max_length=254)
        password_hash = CharField()
        display_name = CharField(null=True, max_length=120)
        role = CharField(max_length=20, default='customer')
        tier = CharField(null=True, max_length=20)
        department = CharField(null=True, max_length=50)
        locale = CharField(max_length=10, default='en')
        region = CharField(null=True, max_length=2)
        referral_code = CharField(null=True, max_length=32)
        parent = ForeignKeyField('self', null=True, on_delete='CASCADE')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'account'
    db.create_tables([Account])

    class Device(Model):
        account = ForeignKeyField(Account, on_delete='CASCADE')
        platform = CharField(max_length=10)
        device_id = CharField(max_length=200)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'device'
            indexes = ((('account', 'device_id'), True),)
    db.create_tables([Device])

    class Session(Model):
        token_hash = CharField(unique=True, max_length=64)
        account = ForeignKeyField(Account, on_delete='CASCADE')
        csrf_token = CharField(max_length=64)
        created_at = DateTimeField()
        expires_at = DateTimeField(index=True)
        revoked_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'session'
    db.create_tables([Session])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('session'))
    migrator.migrate(migrator.drop_table('device'))
    migrator.migrate(migrator.drop_table('account'))
