# The help center and the live chat: frozen copies of help_models and chat_models,
# and the full-text search index (FTS5 tables on SQLite, a tsvector column with a GIN
# index on PostgreSQL). Written by hand; frozen from then on.
from peewee import *

FTS_TABLES = {
    # English: the Porter stemmer. Spanish and Chinese arrive already analysed by
    # services.tickets.help_text (Snowball Spanish stems; CJK character bigrams).
    "help_fts_en": "porter unicode61 remove_diacritics 2",
    "help_fts_es": "unicode61 remove_diacritics 2",
    "help_fts_zh_hant": "unicode61 remove_diacritics 2",
}


def up(migrator, db):
    class HelpArticle(Model):
        slug = CharField(unique=True, max_length=80)
        category = CharField(index=True, max_length=40)
        status = CharField(max_length=12, default='draft')
        origin = CharField(max_length=10, default='editor')
        created_by = IntegerField(null=True)
        updated_by = IntegerField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        published_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'help_article'
    db.create_tables([HelpArticle])

    class HelpTranslation(Model):
        article = ForeignKeyField(HelpArticle, on_delete='CASCADE')
        locale = CharField(max_length=10)
        title = CharField(max_length=200)
        keywords = CharField(max_length=500, default='')
        body = TextField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'help_translation'
            indexes = ((('article', 'locale'), True), (('locale',), False))
    db.create_tables([HelpTranslation])

    class HelpVote(Model):
        article = ForeignKeyField(HelpArticle, on_delete='CASCADE')
        voter = CharField(null=True, max_length=300)
        helpful = BooleanField()
        locale = CharField(max_length=10, default='en')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'help_vote'
            indexes = ((('article', 'voter'), True),)
    db.create_tables([HelpVote])

    class Ticket(Model):
        class Meta:
            database = db
            table_name = 'ticket'

    class Chat(Model):
        id = CharField(primary_key=True, max_length=32)
        requester_kind = CharField(max_length=10)
        requester_user_id = IntegerField(null=True)
        requester_email = CharField(max_length=254)
        requester_name = CharField(null=True, max_length=120)
        locale = CharField(max_length=10, default='en')
        status = CharField(max_length=20, default='bot')
        misses = IntegerField(default=0)
        ticket = ForeignKeyField(Ticket, null=True, on_delete='SET NULL')
        transcript_end = IntegerField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        handed_over_at = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'chat'
            indexes = ((('requester_user_id', 'created_at'), False), (('status', 'handed_over_at'), False))
    db.create_tables([Chat])

    class ChatMessage(Model):
        chat = ForeignKeyField(Chat, on_delete='CASCADE')
        author_role = CharField(max_length=10)
        author_name = CharField(max_length=120)
        body = TextField()
        articles = TextField(default='[]')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'chat_message'
            indexes = ((('chat', 'id'), False),)
    db.create_tables([ChatMessage])

    if isinstance(db, PostgresqlDatabase):
        db.execute_sql('ALTER TABLE help_translation ADD COLUMN search_vector tsvector')
        db.execute_sql('CREATE INDEX help_translation_search_vector ON help_translation USING GIN (search_vector)')
    else:
        for table, tokenizer in FTS_TABLES.items():
            db.execute_sql(f"CREATE VIRTUAL TABLE {table} USING fts5(title, keywords, body, tokenize='{tokenizer}')")


def down(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        for table in FTS_TABLES:
            db.execute_sql(f'DROP TABLE IF EXISTS {table}')
    for table in ('chat_message', 'chat', 'help_vote', 'help_translation', 'help_article'):
        migrator.migrate(migrator.drop_table(table))
