"""The tickets' full-text index, on SQLite (FTS5) or PostgreSQL (tsvector + GIN).

Each message (internal notes and system messages included, redacted ones not) and each
ticket's subject is a document, indexed by the database itself (migration 0008: triggers
on SQLite, generated columns on PostgreSQL), keyed by the message's id: a message moved to
another ticket is found under the ticket it belongs to now. English stemming on both
(FTS5's Porter tokenizer, PostgreSQL's `english` configuration), so "deposits" finds
"deposit". A document matches when it holds every word of the question. The two kinds of
document are ranked apart (BM25 on SQLite, `ts_rank` on PostgreSQL), each scaled to the
best of its kind, and a ticket's score is its best message's plus twice its subject's:
a ticket whose subject says it comes first, the same on both databases.
"""
from __future__ import annotations

import re

import peewee

from services.tickets.help_center.text import EN_STOP
from shared.db import is_postgres

CANDIDATES = 200  # documents per question, before visibility and paging
MAX_TERMS = 8
WORD = re.compile(r"[^\W_]+")
SUBJECT_WEIGHT = 2.0


def terms(question: str) -> list[str]:
    """The words of a question, lower case, each once, at most MAX_TERMS; without the English
    stop words ("my", "the", "please") unless they are all it has."""
    words = list(dict.fromkeys(w.lower() for w in WORD.findall(question)))
    meaningful = [w for w in words if w not in EN_STOP]
    return (meaningful or words)[:MAX_TERMS]


def _scaled(rows: list[tuple]) -> dict[int, float]:
    """{ticket id: score / best score}, so that the two kinds of document weigh alike."""
    best = max((float(score) for _, score in rows), default=0.0)
    return {ticket_id: (float(score) / best if best > 0 else 1.0) for ticket_id, score in rows}


def combine(messages: list[tuple], subjects: list[tuple]) -> dict[int, float]:
    """{ticket id: score}: the best message's scaled score plus twice the subject's."""
    scores = _scaled(messages)
    for ticket_id, score in _scaled(subjects).items():
        scores[ticket_id] = scores.get(ticket_id, 0.0) + SUBJECT_WEIGHT * score
    return scores


class SqliteIndex:
    def __init__(self, database: peewee.Database) -> None:
        self.database = database

    def match(self, words: list[str]) -> dict[int, float]:
        """{ticket id: score} of the tickets whose subject or a message holds every word; higher is better."""
        if not words:
            return {}
        expression = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        # bm25 (FTS5's `rank`) is lower (more negative) for better matches.
        messages = self.database.execute_sql(
            "SELECT m.ticket_id, -min(f.rank) FROM (SELECT rowid, rank FROM message_fts WHERE message_fts MATCH ?"
            f" ORDER BY rank LIMIT {CANDIDATES}) f JOIN message m ON m.id = f.rowid GROUP BY m.ticket_id",
            (expression,)).fetchall()
        subjects = self.database.execute_sql(
            f"SELECT rowid, -rank FROM ticket_fts WHERE ticket_fts MATCH ? ORDER BY rank LIMIT {CANDIDATES}",
            (expression,)).fetchall()
        return combine(messages, subjects)


class PostgresIndex:
    def __init__(self, database: peewee.Database) -> None:
        self.database = database

    def match(self, words: list[str]) -> dict[int, float]:
        if not words:
            return {}
        question = " ".join(words)
        messages = self.database.execute_sql(
            "SELECT m.ticket_id, max(ts_rank(m.search_vector, q)) AS score"
            " FROM message m, plainto_tsquery('english'::regconfig, %s) q"
            f" WHERE m.search_vector @@ q GROUP BY m.ticket_id ORDER BY score DESC LIMIT {CANDIDATES}",
            (question,)).fetchall()
        subjects = self.database.execute_sql(
            "SELECT t.id, ts_rank(t.search_vector, q) AS score"
            " FROM ticket t, plainto_tsquery('english'::regconfig, %s) q"
            f" WHERE t.search_vector @@ q ORDER BY score DESC LIMIT {CANDIDATES}",
            (question,)).fetchall()
        return combine(messages, subjects)


def index_for(database: peewee.Database) -> SqliteIndex | PostgresIndex:
    return PostgresIndex(database) if is_postgres(database) else SqliteIndex(database)
