"""The tickets' full-text index, on SQLite (FTS5) or PostgreSQL (tsvector + GIN).

Each message (internal notes and system messages included, redacted ones not) and each
ticket's subject is a document, indexed by the database itself (migration 0008: triggers
on SQLite, generated columns on PostgreSQL), keyed by the message's id: a message moved to
another ticket is found under the ticket it belongs to now. English stemming on both
(FTS5's Porter tokenizer, PostgreSQL's `english` configuration), so "deposits" finds
"deposit". A document matches when it holds every word of the question. The two kinds of
document are ranked apart (BM25 on SQLite, `ts_rank` on PostgreSQL), each scaled to the
best of its kind, and a ticket's score is its best message's plus twice its subject's:
a ticket whose subject says it comes first, the same on both databases. A question that
matches more than WINDOW documents of a kind looks at the newest WINDOW of them, unranked
(equal scores: the finder puts the latest activity first).
"""
from __future__ import annotations

import re

import peewee

from services.tickets.help_center.text import EN_STOP
from shared.db import is_postgres

# The documents a question looks at: all that match when they are at most WINDOW, else the newest
# WINDOW of them, so that a question of common words stays fast on millions of messages (support's
# questions are mostly about recent tickets). Visibility and the limit apply after.
WINDOW = 200
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

    def _ranked(self, table: str, expression: str) -> list[tuple[int, float]]:
        """(rowid, score) of the matching documents: all of them by BM25 when they are few, else the
        newest WINDOW, unranked (BM25 first counts every document holding each word, which for a
        common word costs more than the whole search may)."""
        newest = self.database.execute_sql(
            f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC LIMIT {WINDOW + 1}",
            (expression,)).fetchall()
        if len(newest) > WINDOW:
            return [(rowid, 0.0) for (rowid,) in newest[:WINDOW]]
        # bm25() is lower (more negative) for better matches.
        return self.database.execute_sql(f"SELECT rowid, -bm25({table}) FROM {table} WHERE {table} MATCH ?",
                                         (expression,)).fetchall()

    def match(self, words: list[str]) -> dict[int, float]:
        """{ticket id: score} of the tickets whose subject or a message holds every word; higher is better."""
        if not words:
            return {}
        expression = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        ranked = self._ranked("message_fts", expression)
        owners = dict(self.database.execute_sql(
            f"SELECT id, ticket_id FROM message WHERE id IN ({', '.join('?' * len(ranked))})",
            [rowid for rowid, _ in ranked]).fetchall()) if ranked else {}
        best: dict[int, float] = {}
        for rowid, score in ranked:
            ticket_id = owners.get(rowid)
            if ticket_id is not None and score > best.get(ticket_id, float("-inf")):
                best[ticket_id] = score
        return combine(list(best.items()), self._ranked("ticket_fts", expression))


# One statement for both kinds of document (one round trip, one plan): the newest WINDOW of each
# that match, ranked. The tsquery is a constant the planner sees, to estimate how many match.
_PG_RANKED = """
SELECT 'message', m.ticket_id, ts_rank(m.search_vector, plainto_tsquery('english'::regconfig, %(q)s))
FROM (SELECT ticket_id, search_vector FROM message
      WHERE search_vector @@ plainto_tsquery('english'::regconfig, %(q)s) ORDER BY id DESC LIMIT {window}) m
UNION ALL
SELECT 'subject', t.id, ts_rank(t.search_vector, plainto_tsquery('english'::regconfig, %(q)s))
FROM (SELECT id, search_vector FROM ticket
      WHERE search_vector @@ plainto_tsquery('english'::regconfig, %(q)s) ORDER BY id DESC LIMIT {window}) t
"""


class PostgresIndex:
    def __init__(self, database: peewee.Database) -> None:
        self.database = database

    def match(self, words: list[str]) -> dict[int, float]:
        if not words:
            return {}
        best: dict[int, float] = {}
        subjects = []
        rows = self.database.execute_sql(_PG_RANKED.format(window=WINDOW), {"q": " ".join(words)}).fetchall()
        for kind, ticket_id, score in rows:
            if kind == "subject":
                subjects.append((ticket_id, float(score)))
            else:
                best[ticket_id] = max(best.get(ticket_id, 0.0), float(score))
        return combine(list(best.items()), subjects)


def index_for(database: peewee.Database) -> SqliteIndex | PostgresIndex:
    return PostgresIndex(database) if is_postgres(database) else SqliteIndex(database)
