# Agents' extra roles (comma-separated, e.g. "editor" for help-center editors). Written by hand; frozen.
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('account', 'roles', CharField(max_length=200, default='')))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('account', 'roles'))
