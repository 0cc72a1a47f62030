"""The help center's full-text index, on SQLite (FTS5) or PostgreSQL (tsvector + GIN).

Both answer the same question the same way: for each term of a question, the
translations that contain it and how well (BM25 on SQLite; inverse document
frequency times `ts_rank` on PostgreSQL, which has no IDF of its own); a
translation's score is the sum over the terms it matches, and the matched terms
say how much of the question it covers, and those found in the title how much of
it the title asks. Titles weigh most, then keywords, then the body.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import peewee

from services.tickets.help_center import text as help_text
from services.tickets.help_center.models import HelpTranslation
from services.tickets.help_center.text import Query
from shared.db import is_postgres

CANDIDATES = 200  # per term; a help center has hundreds of articles, not millions
FTS_TABLE = {"en": "help_fts_en", "es": "help_fts_es", "zh-Hant": "help_fts_zh_hant"}
PG_CONFIG = {"en": "english", "es": "spanish", "zh-Hant": "simple"}


@dataclass(frozen=True)
class Hit:
    translation_id: int
    score: float  # higher is better
    matched: frozenset[str]
    titled: frozenset[str] = frozenset()  # the terms found in the title itself


def _fields(translation: HelpTranslation) -> tuple[str, str, str]:
    return translation.title, translation.keywords or "", help_text.html_to_text(translation.body)


class SqliteIndex:
    """FTS5 tables, one per language, keyed by the translation's id."""

    def __init__(self, database: peewee.Database) -> None:
        self.database = database

    @staticmethod
    def _prepare(text: str, locale: str) -> str:
        if locale == "es":
            return help_text.spanish_index_text(text)
        if locale == "zh-Hant":
            return help_text.cjk_index_text(text)
        return text

    def index(self, translation: HelpTranslation, new: bool = False) -> None:
        table = FTS_TABLE[translation.locale]
        if not new:
            self.database.execute_sql(f"DELETE FROM {table} WHERE rowid = ?", (translation.id,))
        title, keywords, body = (self._prepare(part, translation.locale) for part in _fields(translation))
        self.database.execute_sql(f"INSERT INTO {table} (rowid, title, keywords, body) VALUES (?, ?, ?, ?)",
                                  (translation.id, title, keywords, body))

    def _scores(self, table: str, total: int, phrase: str) -> list[tuple[int, float]]:
        """The translations that contain `phrase`, each with its BM25 score (higher is better)."""
        having = self.database.execute_sql(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (phrase,)).fetchone()[0]
        if not having:
            return []
        scale = idf(total, having) / _fts5_idf(total, having)
        # bm25() is lower for better matches; weights: title, keywords, body.
        rows = self.database.execute_sql(
            f"SELECT rowid, bm25({table}, 10.0, 4.0, 1.0) FROM {table} WHERE {table} MATCH ? "
            f"ORDER BY 2 LIMIT {CANDIDATES}", (phrase,)).fetchall()
        return [(rowid, -rank * scale) for rowid, rank in rows]

    def search(self, query: Query) -> list[Hit]:
        table = FTS_TABLE[query.locale]
        scores: dict[int, float] = {}
        matched: dict[int, set[str]] = {}
        titled: dict[int, set[str]] = {}
        total = self.database.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]
        for term in query.terms:
            # A term's score in a translation: that of its best form (the word, or its dictionary form).
            best: dict[int, float] = {}
            for form in query.forms(term):
                token = help_text.spanish_stem(form) if query.locale == "es" else form
                phrase = '"' + token.replace('"', '""') + '"'
                for rowid, score in self._scores(table, total, phrase):
                    best[rowid] = max(best.get(rowid, 0.0), score)
                for (rowid,) in self.database.execute_sql(
                        f"SELECT rowid FROM {table} WHERE {table} MATCH ?", ("title : " + phrase,)).fetchall():
                    titled.setdefault(rowid, set()).add(term)
            for rowid, score in best.items():
                scores[rowid] = scores.get(rowid, 0.0) + score
                matched.setdefault(rowid, set()).add(term)
        return [Hit(rowid, score, frozenset(matched[rowid]), frozenset(titled.get(rowid, ())))
                for rowid, score in scores.items()]


def idf(total: int, having: int) -> float:
    """How much a term tells, by how few of the `total` translations have it: BM25's inverse document
    frequency in its always-positive form (Lucene's, and the PostgreSQL query's), so that a word of the
    question found in half the articles ("depósito") still counts, least of all but more than nothing."""
    return math.log(1 + (total - having + 0.5) / (having + 0.5))


def _fts5_idf(total: int, having: int) -> float:
    """The IDF FTS5's bm25() multiplies by: the classic form, floored at 1e-6 for a term in half the
    rows or more, which made such a term count nothing and let a rarer, incidental one decide."""
    classic = math.log((total - having + 0.5) / (having + 0.5))
    return classic if classic > 0 else 1e-6


_PG_SEARCH = f"""
WITH q AS (
    SELECT t, plainto_tsquery(%(config)s::regconfig, t) || plainto_tsquery(%(config)s::regconfig, f) AS tq
    FROM unnest(%(terms)s::text[], %(forms)s::text[]) AS u(t, f)
), df AS (
    SELECT q.t, q.tq, (SELECT count(*) FROM help_translation x
                       WHERE x.locale = %(locale)s AND x.search_vector @@ q.tq) AS n
    FROM q WHERE numnode(q.tq) > 0
), total AS (
    SELECT count(*) AS n FROM help_translation WHERE locale = %(locale)s
)
SELECT tr.id,
       sum(ln(1 + (total.n - df.n + 0.5) / (df.n + 0.5))
           * ts_rank('{{0.1, 0.25, 0.4, 1.0}}', tr.search_vector, df.tq, 1)) AS score,
       array_agg(df.t) AS matched,
       array_agg(df.t) FILTER (WHERE ts_filter(tr.search_vector, '{{a}}') @@ df.tq) AS titled
FROM help_translation tr JOIN df ON tr.search_vector @@ df.tq CROSS JOIN total
WHERE tr.locale = %(locale)s
GROUP BY tr.id
ORDER BY score DESC
LIMIT {CANDIDATES}
"""


class PostgresIndex:
    """A weighted tsvector per translation in its language's configuration, GIN-indexed."""

    def __init__(self, database: peewee.Database) -> None:
        self.database = database

    @staticmethod
    def _prepare(text: str, locale: str) -> str:
        return help_text.cjk_index_text(text) if locale == "zh-Hant" else text

    def index(self, translation: HelpTranslation, new: bool = False) -> None:
        config = PG_CONFIG[translation.locale]
        title, keywords, body = (self._prepare(part, translation.locale) for part in _fields(translation))
        self.database.execute_sql(
            "UPDATE help_translation SET search_vector ="
            " setweight(to_tsvector(%s::regconfig, %s), 'A')"
            " || setweight(to_tsvector(%s::regconfig, %s), 'B')"
            " || setweight(to_tsvector(%s::regconfig, %s), 'D') WHERE id = %s",
            (config, title, config, keywords, config, body, translation.id))

    def search(self, query: Query) -> list[Hit]:
        if not query.terms:
            return []
        # Each term with its other form (its lemma; else itself again): either matches.
        forms = [query.forms(term)[-1] for term in query.terms]
        params = {"config": PG_CONFIG[query.locale], "locale": query.locale, "terms": list(query.terms), "forms": forms}
        rows = self.database.execute_sql(_PG_SEARCH, params).fetchall()
        return [Hit(row[0], float(row[1]), frozenset(row[2]), frozenset(row[3] or ())) for row in rows]


def index_for(database: peewee.Database) -> SqliteIndex | PostgresIndex:
    return PostgresIndex(database) if is_postgres(database) else SqliteIndex(database)
