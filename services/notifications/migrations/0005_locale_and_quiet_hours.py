# When the account chose its language (user.profile_changed.v1): a registration or an older change arriving
# later does not undo it. Quiet hours in the preferences, and what they hold until they end.
# Written by hand; frozen.
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('contact', 'locale_changed_at', DateTimeField(null=True)),
        migrator.add_column('preference', 'quiet_start', CharField(max_length=5, null=True)),
        migrator.add_column('preference', 'quiet_end', CharField(max_length=5, null=True)),
        migrator.add_column('preference', 'quiet_timezone', CharField(max_length=64, null=True)),
    )

    class Held(Model):
        event_id = CharField(max_length=36)
        channel = CharField(max_length=10)
        user_id = IntegerField()
        body = TextField()
        release_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'held'
            indexes = ((('event_id', 'channel', 'user_id'), True),)
    db.create_tables([Held])


def down(migrator, db):
    db.execute_sql('DROP TABLE held')
    migrator.migrate(
        migrator.drop_column('preference', 'quiet_timezone'),
        migrator.drop_column('preference', 'quiet_end'),
        migrator.drop_column('preference', 'quiet_start'),
        migrator.drop_column('contact', 'locale_changed_at'),
    )
