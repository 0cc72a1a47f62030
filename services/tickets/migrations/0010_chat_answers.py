# The chat helper's answers: the passage it quotes and the quick replies it offers.
# Written by hand; frozen. Earlier answers get no passage and no quick replies.
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('chat_message', 'answer', TextField(null=True)),
        migrator.add_column('chat_message', 'quick_replies', TextField(default='[]')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('chat_message', 'quick_replies'),
        migrator.drop_column('chat_message', 'answer'),
    )
