# A push subscription's failed sends in a row (PUSH_MAX_FAILURES unsubscribes it). Written by hand; frozen.
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('pushsubscription', 'failures', IntegerField(default=0)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('pushsubscription', 'failures'))
