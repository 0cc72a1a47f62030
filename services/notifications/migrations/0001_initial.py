# Generated from the models by `python -m playhouse.migrations ... initial`; frozen from then on.
# Datetime defaults come from the models (the injectable clock), not from the database.
# The processed_event table is the shared model's (shared/db.py run_migrations makes
# it first); databases made before that got it here, with the same columns and indexes.
from peewee import *


def up(migrator, db):
    class Contact(Model):
        user_id = IntegerField(primary_key=True)
        email = CharField(max_length=254)
        locale = CharField(max_length=16, default='en')
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'contact'
    db.create_tables([Contact])

    class Delivery(Model):
        event_id = CharField(max_length=36)
        channel = CharField(max_length=10)
        recipient = CharField(max_length=254)
        topic = CharField(max_length=40)
        message_id = CharField(null=True, max_length=200)
        sent_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'delivery'
            indexes = ((('event_id', 'channel', 'recipient'), True),)
    db.create_tables([Delivery])

    class Notification(Model):
        user_id = IntegerField()
        event_id = CharField(max_length=36)
        kind = CharField(max_length=20)
        topic = CharField(max_length=40)
        title = CharField(max_length=200)
        body = TextField()
        link = CharField(max_length=500)
        created_at = DateTimeField()
        read_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'notification'
            indexes = ((('event_id', 'user_id'), True), (('user_id', 'id'), False), (('user_id', 'read_at'), False))
    db.create_tables([Notification])

    class Preference(Model):
        user_id = IntegerField(primary_key=True)
        push_ticket_updates = BooleanField(default=True)
        push_video_calls = BooleanField(default=True)
        push_rewards = BooleanField(default=True)
        email_ticket_updates = BooleanField(default=True)
        email_video_calls = BooleanField(default=True)
        email_rewards = BooleanField(default=True)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'preference'
    db.create_tables([Preference])

    class PushSubscription(Model):
        user_id = IntegerField(index=True)
        endpoint = CharField(unique=True, max_length=1024)
        p256dh = CharField(max_length=128)
        auth = CharField(max_length=64)
        created_at = DateTimeField()
        last_sent_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'pushsubscription'
    db.create_tables([PushSubscription])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('pushsubscription'))
    migrator.migrate(migrator.drop_table('preference'))
    migrator.migrate(migrator.drop_table('notification'))
    migrator.migrate(migrator.drop_table('delivery'))
    migrator.migrate(migrator.drop_table('contact'))
