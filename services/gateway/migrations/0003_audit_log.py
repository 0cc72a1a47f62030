"""The audit log (`audit_event`), append-only, enforced by the database itself:
no row is ever updated or deleted (nor truncated, on PostgreSQL). Written by hand; frozen."""
from peewee import *

SQLITE = [
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: no delete'); END""",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: no update'); END""",
]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION USING MESSAGE = 'the audit log is append-only: no ' || lower(TG_OP);
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
]


def up(migrator, db):
    class AuditEvent(Model):
        at = DateTimeField(index=True)
        actor_id = IntegerField(null=True, index=True)
        actor_role = CharField(max_length=20, null=True)
        actor_email = CharField(max_length=254, null=True)
        action = CharField(max_length=50, index=True)
        target_type = CharField(max_length=30, null=True)
        target_id = CharField(max_length=100, null=True)
        ticket_number = CharField(max_length=20, null=True, index=True)
        ip = CharField(max_length=45, null=True)
        details = TextField(default='{}')
        class Meta:
            database = db
            table_name = 'audit_event'
    db.create_tables([AuditEvent])
    for statement in POSTGRES if isinstance(db, PostgresqlDatabase) else SQLITE:
        db.execute_sql(statement)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        db.execute_sql("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        db.execute_sql("DROP FUNCTION IF EXISTS audit_event_append_only()")
    migrator.migrate(migrator.drop_table('audit_event'))
