# The agent workspace: tickets' tags, the tickets' full-text index, and the customer facts
# gathered from other services' events for the agent's context panel.
#
# The full-text index is kept by the database itself, so no code path (a reply, a video
# event's system message, a redaction, a merge moving messages) can forget it:
# - SQLite: FTS5 tables keyed by the message's and the ticket's id, filled by triggers;
# - PostgreSQL: stored generated tsvector columns with GIN indexes.
# A redacted message (redacted_at set) has no entry. Existing rows are indexed here.
# Written by hand; frozen from then on.
from peewee import *

TOKENIZER = "porter unicode61 remove_diacritics 2"

SQLITE_TRIGGERS = (
    """CREATE TRIGGER message_fts_insert AFTER INSERT ON message BEGIN
         INSERT INTO message_fts (rowid, body) SELECT new.id, new.body WHERE new.redacted_at IS NULL;
       END""",
    """CREATE TRIGGER message_fts_update AFTER UPDATE OF body, redacted_at ON message BEGIN
         DELETE FROM message_fts WHERE rowid = old.id;
         INSERT INTO message_fts (rowid, body) SELECT new.id, new.body WHERE new.redacted_at IS NULL;
       END""",
    """CREATE TRIGGER message_fts_delete AFTER DELETE ON message BEGIN
         DELETE FROM message_fts WHERE rowid = old.id;
       END""",
    """CREATE TRIGGER ticket_fts_insert AFTER INSERT ON ticket BEGIN
         INSERT INTO ticket_fts (rowid, subject) VALUES (new.id, new.subject);
       END""",
    """CREATE TRIGGER ticket_fts_update AFTER UPDATE OF subject ON ticket BEGIN
         DELETE FROM ticket_fts WHERE rowid = old.id;
         INSERT INTO ticket_fts (rowid, subject) VALUES (new.id, new.subject);
       END""",
    """CREATE TRIGGER ticket_fts_delete AFTER DELETE ON ticket BEGIN
         DELETE FROM ticket_fts WHERE rowid = old.id;
       END""",
)


def up(migrator, db):
    class Ticket(Model):
        class Meta:
            database = db
            table_name = 'ticket'

    class TicketTag(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        tag = CharField(max_length=40)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'ticket_tag'
            indexes = ((('ticket', 'tag'), True), (('tag', 'ticket'), False))

    class CustomerProfile(Model):
        user_id = IntegerField(primary_key=True)
        email = CharField(max_length=254, null=True)
        locale = CharField(max_length=10, null=True)
        locale_at = DateTimeField(null=True)
        region = CharField(max_length=8, null=True)
        parent_id = IntegerField(null=True)
        registered_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'customer_profile'

    class CustomerVideoCall(Model):
        call_id = IntegerField(primary_key=True)
        ticket_number = CharField(max_length=12)
        requester_kind = CharField(max_length=10)
        user_id = IntegerField(null=True)
        email = CharField(max_length=254, null=True)
        status = CharField(max_length=20)
        slot_start = DateTimeField(null=True)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'customer_video_call'
            indexes = ((('user_id', 'updated_at'), False), (('email', 'updated_at'), False))

    class CustomerReferral(Model):
        user_id = IntegerField(primary_key=True)
        eligible = BooleanField()
        reason = CharField(max_length=40, null=True)
        inviter_id = IntegerField(null=True)
        counts_as_invitee = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'customer_referral'
            indexes = ((('inviter_id', 'counts_as_invitee'), False),)

    class CustomerReferralBox(Model):
        box_id = IntegerField(primary_key=True)
        user_id = IntegerField(index=True)
        role = CharField(max_length=10, null=True)
        milestone = CharField(max_length=40)
        granted_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'customer_referral_box'

    class CustomerReward(Model):
        entry_id = IntegerField(primary_key=True)
        user_id = IntegerField(index=True)
        asset = CharField(max_length=16)
        amount = CharField(max_length=64)
        credited_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'customer_reward'

    db.create_tables([TicketTag, CustomerProfile, CustomerVideoCall, CustomerReferral, CustomerReferralBox,
                      CustomerReward])

    if isinstance(db, PostgresqlDatabase):
        db.execute_sql(
            "ALTER TABLE message ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            "(CASE WHEN redacted_at IS NULL THEN to_tsvector('english'::regconfig, body) END) STORED")
        db.execute_sql("CREATE INDEX message_search_vector ON message USING GIN (search_vector)")
        db.execute_sql(
            "ALTER TABLE ticket ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            "(to_tsvector('english'::regconfig, subject)) STORED")
        db.execute_sql("CREATE INDEX ticket_search_vector ON ticket USING GIN (search_vector)")
    else:
        db.execute_sql(f"CREATE VIRTUAL TABLE message_fts USING fts5(body, tokenize='{TOKENIZER}')")
        db.execute_sql(f"CREATE VIRTUAL TABLE ticket_fts USING fts5(subject, tokenize='{TOKENIZER}')")
        for trigger in SQLITE_TRIGGERS:
            db.execute_sql(trigger)
        db.execute_sql("INSERT INTO message_fts (rowid, body) SELECT id, body FROM message WHERE redacted_at IS NULL")
        db.execute_sql("INSERT INTO ticket_fts (rowid, subject) SELECT id, subject FROM ticket")


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP INDEX IF EXISTS message_search_vector")
        db.execute_sql("DROP INDEX IF EXISTS ticket_search_vector")
        db.execute_sql("ALTER TABLE message DROP COLUMN IF EXISTS search_vector")
        db.execute_sql("ALTER TABLE ticket DROP COLUMN IF EXISTS search_vector")
    else:
        for name in ("message_fts_insert", "message_fts_update", "message_fts_delete",
                     "ticket_fts_insert", "ticket_fts_update", "ticket_fts_delete"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
        db.execute_sql("DROP TABLE IF EXISTS message_fts")
        db.execute_sql("DROP TABLE IF EXISTS ticket_fts")
    for table in ('customer_reward', 'customer_referral_box', 'customer_referral', 'customer_video_call',
                  'customer_profile', 'ticket_tag'):
        migrator.migrate(migrator.drop_table(table))
