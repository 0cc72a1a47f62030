# The agents the service notifies (agent.profile_changed.v1), and their kinds' preferences (email off by
# default for agents). Written by hand; frozen.
from peewee import *


def up(migrator, db):
    class Agent(Model):
        user_id = IntegerField(primary_key=True)
        name = CharField(max_length=200)
        department = CharField(max_length=64, null=True)
        supervisor = BooleanField(default=False)
        active = BooleanField(default=True)
        changed_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'agent'
    db.create_tables([Agent])
    migrator.migrate(
        migrator.add_column('preference', 'push_assigned_tickets', BooleanField(default=True)),
        migrator.add_column('preference', 'push_satisfaction', BooleanField(default=True)),
        migrator.add_column('preference', 'push_sla_breaches', BooleanField(default=True)),
        migrator.add_column('preference', 'email_assigned_tickets', BooleanField(default=False)),
        migrator.add_column('preference', 'email_satisfaction', BooleanField(default=False)),
        migrator.add_column('preference', 'email_sla_breaches', BooleanField(default=False)),
    )


def down(migrator, db):
    migrator.migrate(*[migrator.drop_column('preference', f'{channel}_{kind}')
                       for channel in ('push', 'email') for kind in ('assigned_tickets', 'satisfaction', 'sla_breaches')])
    db.execute_sql('DROP TABLE agent')
