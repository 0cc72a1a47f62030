# Service notices of the help center: a new table, so existing data is untouched.
# Written by hand; frozen.
from peewee import *


def up(migrator, db):
    class HelpNotice(Model):
        title = CharField(max_length=200)
        body = TextField()
        locale = CharField(max_length=10)
        starts_at = DateTimeField()
        ends_at = DateTimeField(null=True)
        created_by = IntegerField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'help_notice'
            indexes = ((('locale', 'starts_at'), False),)
    db.create_tables([HelpNotice])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('help_notice'))
