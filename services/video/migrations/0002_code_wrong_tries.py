# Wrong tries are counted per code, not per address (a stranger's wrong tries spend a code,
# they no longer lock the address). Written by hand; frozen. The address table's old
# counters stay, unused, so processes of the previous release keep working during a rollout.
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('verificationcode', 'wrong_tries', IntegerField(default=0)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('verificationcode', 'wrong_tries'))
