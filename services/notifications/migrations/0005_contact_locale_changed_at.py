# When the account chose its language (user.profile_changed.v1): a registration or an older change arriving
# later does not undo it. Written by hand; frozen.
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('contact', 'locale_changed_at', DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('contact', 'locale_changed_at'))
