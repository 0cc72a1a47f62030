# When the account chose its language (user.profile_changed.v1): a registration or an older change arriving
# later does not undo it. Quiet hours and the email digest in the preferences, what they (and an open live
# stream) hold, and which people have a live stream open.
# Written by hand; frozen.
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('contact', 'locale_changed_at', DateTimeField(null=True)),
        migrator.add_column('preference', 'quiet_start', CharField(max_length=5, null=True)),
        migrator.add_column('preference', 'quiet_end', CharField(max_length=5, null=True)),
        migrator.add_column('preference', 'quiet_timezone', CharField(max_length=64, null=True)),
        migrator.add_column('preference', 'email_digest', BooleanField(default=False)),
    )

    class Held(Model):
        event_id = CharField(max_length=36)
        channel = CharField(max_length=10)
        user_id = IntegerField()
        body = TextField()
        release_at = DateTimeField(index=True)
        unless_read = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'held'
            indexes = ((('event_id', 'channel', 'user_id'), True),)
    db.create_tables([Held])

    class StreamPresence(Model):
        user_id = IntegerField(primary_key=True)
        seen_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'streampresence'
    db.create_tables([StreamPresence])


def down(migrator, db):
    db.execute_sql('DROP TABLE streampresence')
    db.execute_sql('DROP TABLE held')
    migrator.migrate(
        migrator.drop_column('preference', 'email_digest'),
        migrator.drop_column('preference', 'quiet_timezone'),
        migrator.drop_column('preference', 'quiet_end'),
        migrator.drop_column('preference', 'quiet_start'),
        migrator.drop_column('contact', 'locale_changed_at'),
    )
