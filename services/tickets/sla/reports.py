"""The supervisors' reports, from the tickets service's own tables (ticket, ticket_sla, sla_clock,
satisfaction), for a period [from, to), a department and a tier.

- `created`: tickets created in the period; `resolved`: tickets whose resolution falls in it.
- `first_response_s`: calendar (elapsed) seconds from creation to the first public agent message, over
  the tickets created in the period; `resolution_s`: from creation to resolution, over those resolved in it.
  Median and 90th percentile by linear interpolation (PostgreSQL's percentile_cont).
- `sla_attainment`: of the targets of the tickets created in the period that were settled (achieved or
  breached), the share achieved in time; `satisfaction`: ratings given in the period, `score` the share good.
- `backlog`: tickets open or awaiting the customer now, and how old they are.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import operator
from collections.abc import Iterator

import peewee
from peewee import JOIN, fn

from services.tickets.core.models import Ticket
from services.tickets.models import db
from services.tickets.sla.models import METRICS, Satisfaction, SlaClock, TicketSla
from shared import clock
from shared.db import is_postgres

DAY = 86400
AGE_BUCKETS = (("0-1d", 0, DAY), ("1-3d", DAY, 3 * DAY), ("3-7d", 3 * DAY, 7 * DAY), ("7d+", 7 * DAY, None))
CSV_COLUMNS = ("number", "category", "tier", "department", "status", "created_at", "first_response_at",
               "first_response_s", "resolved_at", "resolution_s",
               *(f"{metric}_{part}" for metric in METRICS for part in ("due_at", "achieved_at", "breached")),
               "sla_met", "sla_missed", "rating", "rating_comment", "rated_at")
EXPORT_LIMIT = 100_000


def _scope(department: str | None, tier: str | None) -> list:
    """The conditions of the department and tier: columns of the covering indexes only, so that a
    report never reads the rows behind them."""
    conditions = []
    if tier:
        conditions.append(TicketSla.tier == tier)
    if department:
        conditions.append(TicketSla.department == department)
    return conditions


def _where(condition, scope: list):
    return functools.reduce(operator.and_, scope, condition)


def _between(field, start: dt.datetime, end: dt.datetime):
    return (field >= start) & (field < end)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


FETCH_AT_MOST = 20_000  # times of a report read into Python at most; more are walked in their index
# The indexes of ticket_sla in the order of each time (see sla.models.TicketSla).
BY_VALUE = {"first_response_s": "ticketsla_first_response_s_created_at_tier_department",
            "resolution_s": "ticketsla_resolution_s_resolved_at_tier_department"}


def _figures(column, extra, where) -> tuple[list, dict]:
    """The aggregates `extra` over `where`, and `column`'s median and 90th percentile: computed by
    PostgreSQL itself; on SQLite each is read by walking the index in the order of the times to its
    place, which costs no sort and brings no rows into Python."""
    query = TicketSla.select(*extra)
    if is_postgres(db.obj):
        cont = peewee.NodeList((peewee.SQL("percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY"),
                                column, peewee.SQL(")")))
        row = query.select_extend(cont).where(where).tuples().get()
        values = row[-1] or [None, None]
        return list(row[:-1]), {"median": _round(values[0]), "p90": _round(values[1])}
    *totals, count = query.select_extend(fn.COUNT(column)).where(where).tuples().get()
    if count <= FETCH_AT_MOST:  # few: reading them through the range's index and sorting here is cheaper
        sql, params = TicketSla.select(column).where(where & column.is_null(False)).sql()
        ordered = sorted(value for (value,) in db.execute_sql(sql, params).fetchall())
        return totals, {"median": _interpolated(ordered, 0.5), "p90": _interpolated(ordered, 0.9)}
    return totals, {"median": _nth(column, where, count, 0.5), "p90": _nth(column, where, count, 0.9)}


def _interpolated(ordered: list[int], fraction: float) -> float | None:
    """The `fraction` percentile of sorted values by linear interpolation, as PostgreSQL's percentile_cont."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = ordered[min(low + 1, len(ordered) - 1)]
    return _round(ordered[low] + (high - ordered[low]) * (position - low))


def _nth(column, where, count: int, fraction: float) -> float | None:
    """The same as `_interpolated`, read off the index in the order of the times."""
    position = (count - 1) * fraction
    low = int(position)
    sql, params = (TicketSla.select(column).where(where & column.is_null(False))
                   .order_by(column).limit(2).offset(low).sql())
    table = 'FROM "ticket_sla" AS "t1"'
    sql = sql.replace(table, f'{table} INDEXED BY "{BY_VALUE[column.name]}"', 1)
    values = [value for (value,) in db.execute_sql(sql, params).fetchall()]
    high = values[-1]
    return _round(values[0] + (high - values[0]) * (position - low))


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)


def summary(start: dt.datetime, end: dt.datetime, department: str | None = None, tier: str | None = None) -> dict:
    scope = _scope(department, tier)
    (created, met, missed), first_response = _figures(
        TicketSla.first_response_s, [fn.COUNT(TicketSla.id), fn.SUM(TicketSla.met), fn.SUM(TicketSla.missed)],
        _where(_between(TicketSla.created_at, start, end), scope))
    (resolved,), resolution = _figures(TicketSla.resolution_s, [fn.COUNT(TicketSla.id)],
                                       _where(_between(TicketSla.resolved_at, start, end), scope))
    met, missed = int(met or 0), int(missed or 0)
    ratings = dict(TicketSla.select(TicketSla.rating, fn.COUNT(TicketSla.rating))
                   .where(_where(_between(TicketSla.rated_at, start, end), scope))
                   .group_by(TicketSla.rating).tuples())
    good, bad = ratings.get("good", 0), ratings.get("bad", 0)
    return {"from": clock.isoformat(start), "to": clock.isoformat(end), "department": department, "tier": tier,
            "created": created, "resolved": resolved, "first_response_s": first_response, "resolution_s": resolution,
            "sla_attainment": _share(met, met + missed), "sla": {"met": met, "missed": missed},
            "satisfaction": {"good": good, "bad": bad, "score": _share(good, good + bad)},
            "backlog": backlog(scope)}


def backlog(scope) -> dict:
    now = clock.now()
    age = peewee.Case(None, [(TicketSla.created_at > now - dt.timedelta(seconds=high), label)
                             for label, _low, high in AGE_BUCKETS[:-1]], AGE_BUCKETS[-1][0])
    counts = (TicketSla.select(TicketSla.status, age.alias("age"), fn.COUNT(TicketSla.id))
              .where(_where(TicketSla.status.in_(("open", "awaiting_user")), scope))
              .group_by(TicketSla.status, age).tuples())
    by_status = {"open": 0, "awaiting_user": 0}
    by_age = {label: 0 for label, _, _ in AGE_BUCKETS}
    for status, label, count in counts:
        by_status[status] += count
        by_age[label] += count
    return {**by_status, "by_age": [{"age": label, "min_s": low, "max_s": high, "count": by_age[label]}
                                    for label, low, high in AGE_BUCKETS]}


def _cell(value) -> str:
    """A spreadsheet must not run what a customer typed: text that starts like a formula is quoted."""
    if isinstance(value, dt.datetime):
        return clock.isoformat(value)
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(start: dt.datetime, end: dt.datetime, department: str | None = None, tier: str | None = None,
             batch: int = 1000) -> Iterator[tuple]:
    """One row per ticket created in the period, of the department and tier when given (at most
    EXPORT_LIMIT), oldest first."""
    scope = [Ticket.tier == tier] if tier else []
    scope += [Ticket.department == department] if department else []
    query = (Ticket.select(Ticket, TicketSla, Satisfaction)
             .join(TicketSla, JOIN.LEFT_OUTER, attr="report").switch(Ticket)
             .join(Satisfaction, JOIN.LEFT_OUTER, attr="rating")
             .where(_where(_between(Ticket.created_at, start, end), scope))
             .order_by(Ticket.created_at, Ticket.id))
    for offset in range(0, EXPORT_LIMIT, batch):
        tickets = list(query.limit(batch).offset(offset))
        clocks: dict[tuple[int, str], SlaClock] = {}
        if tickets:
            for sla in SlaClock.select().where(SlaClock.ticket.in_([t.id for t in tickets])):
                clocks[(sla.ticket_id, sla.metric)] = sla
        for ticket in tickets:
            report, rating = getattr(ticket, "report", None), getattr(ticket, "rating", None)
            targets = []
            for metric in METRICS:
                sla = clocks.get((ticket.id, metric))
                targets += [sla.due_at, sla.achieved_at, str(sla.breached).lower()] if sla else [None, None, None]
            yield tuple(_cell(value) for value in (
                ticket.number, ticket.category, ticket.tier, ticket.department, ticket.status, ticket.created_at,
                report and report.first_response_at, report and report.first_response_s, ticket.resolved_at,
                report and report.resolution_s, *targets, report and report.met, report and report.missed,
                rating and rating.rating, rating and rating.comment, rating and rating.rated_at))
        if len(tickets) < batch:
            return


def csv_text(start: dt.datetime, end: dt.datetime, department: str | None = None, tier: str | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(start, end, department, tier))
    return buffer.getvalue()
