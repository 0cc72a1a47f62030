# Agents' redaction of a message: when, by whom and why (the body itself is overwritten).
# Written by hand; frozen. Existing messages get NULLs: none of them is redacted.
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('message', 'redacted_at', DateTimeField(null=True)),
        migrator.add_column('message', 'redacted_by', IntegerField(null=True)),
        migrator.add_column('message', 'redacted_by_name', CharField(max_length=120, null=True)),
        migrator.add_column('message', 'redaction_reason', TextField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('message', 'redaction_reason'),
        migrator.drop_column('message', 'redacted_by_name'),
        migrator.drop_column('message', 'redacted_by'),
        migrator.drop_column('message', 'redacted_at'),
    )
