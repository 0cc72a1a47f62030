# The account's anti-phishing code on its address book entry (user.anti_phishing_code_changed.v1).
# Written by hand; frozen.
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('contact', 'anti_phishing_code', CharField(max_length=20, null=True)),
        migrator.add_column('contact', 'anti_phishing_code_at', DateTimeField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('contact', 'anti_phishing_code_at'),
        migrator.drop_column('contact', 'anti_phishing_code'),
    )
