"""The capital-flows ledger is append-only, enforced by the database itself.

An entry's who, what and how much (user, account, type, asset, amount, reference,
created_at) never change; its status may move from pending to credited once, and
a credited entry never changes again. No entry is ever deleted (nor truncated, on
PostgreSQL, where TRUNCATE skips row triggers).
"""
from peewee import *

FROZEN = ("user_id", "account", "type", "asset", "amount", "reference", "created_at")

SQLITE = [
    """CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: no delete'); END""",
    """CREATE TRIGGER ledger_entry_no_edit BEFORE UPDATE ON ledger_entry
       WHEN """ + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in ("id",) + FROZEN) + """
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: amounts are never edited'); END""",
    """CREATE TRIGGER ledger_entry_credit_once BEFORE UPDATE ON ledger_entry
       WHEN OLD.status = 'credited'
            AND (NEW.status IS NOT OLD.status OR NEW.credited_at IS NOT OLD.credited_at)
       BEGIN SELECT RAISE(ABORT, 'a credited ledger entry never changes'); END""",
]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION ledger_entry_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
            RAISE EXCEPTION USING MESSAGE = 'ledger entries are append-only: no ' || lower(TG_OP);
        END IF;
        IF """ + " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in ("id",) + FROZEN) + """ THEN
            RAISE EXCEPTION 'ledger entries are append-only: amounts are never edited';
        END IF;
        IF OLD.status = 'credited'
           AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.credited_at IS DISTINCT FROM OLD.credited_at) THEN
            RAISE EXCEPTION 'a credited ledger entry never changes';
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry
       FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only()""",
    """CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON ledger_entry
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_append_only()""",
]


def up(migrator, db):
    for statement in POSTGRES if isinstance(db, PostgresqlDatabase) else SQLITE:
        db.execute_sql(statement)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON ledger_entry")
        db.execute_sql("DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_entry")
        db.execute_sql("DROP FUNCTION IF EXISTS ledger_entry_append_only()")
    else:
        for name in ("ledger_entry_credit_once", "ledger_entry_no_edit", "ledger_entry_no_delete"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
