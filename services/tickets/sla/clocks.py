"""Each ticket's SLA clocks, moved by the ticket's life cycle (called from core.workflow).

- Creation starts `first_response` and `resolution` with the policy of the ticket's category and tier.
- The first public agent message (reply or request for details) achieves `first_response`; a customer's
  reply after it starts a `next_response` round (unless one runs), which the next agent message achieves.
- `awaiting_user` pauses every clock, `open` resumes them; `resolved` achieves `resolution` and pauses
  the rest, and a reopening runs `resolution` on from where it stopped.

A running clock has `running_since` and `due_at`; pausing turns the open time since into fewer
`remaining_s`, and resuming computes a new `due_at` on the calendar. A clock achieved after its due
time, or past it when paused, is `breached`; the scheduler (sla.breaches) publishes the event.
"""
from __future__ import annotations

import datetime as dt

from services.tickets.core.models import Ticket
from services.tickets.sla.calendar import Calendar, add_business_seconds, business_seconds_between
from services.tickets.sla.models import METRICS, SlaClock, TicketSla
from services.tickets.sla.policies import Policy, calendar_named, policy_for
from shared import clock
from shared.prepared import Prepared

FAR_FUTURE = dt.datetime(9999, 12, 31)
UTC = dt.UTC


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=UTC)


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


class _Calendars(dict):
    def __missing__(self, name: str) -> Calendar:
        self[name] = calendar_named(name)
        return self[name]


def _run(calendars: _Calendars, sla: SlaClock, now: dt.datetime) -> None:
    sla.running_since = now
    sla.due_at = _naive(add_business_seconds(calendars[sla.calendar], _aware(now), max(sla.remaining_s, 0)))


def _stop(calendars: _Calendars, report: TicketSla, sla: SlaClock, now: dt.datetime) -> None:
    """Stop a running clock: count its open time, and flag a breach if its due time passed."""
    if sla.running_since is None:
        return
    used = business_seconds_between(calendars[sla.calendar], _aware(sla.running_since), _aware(now))
    sla.remaining_s = max(sla.remaining_s - used, 0)
    sla.running_since = None
    if now > sla.due_at:
        _flag_breach(report, sla)


def _flag_breach(report: TicketSla, sla: SlaClock) -> None:
    if not sla.breached:
        sla.breached = True
        report.missed += 1


def _start(calendars: _Calendars, ticket: Ticket, metric: str, now: dt.datetime,
           sla: SlaClock | None = None, policy: Policy | None = None) -> SlaClock:
    """The clock started (not saved: the caller's `_save` writes every clock it moved, once)."""
    policy = policy or policy_for(ticket.category, ticket.tier)
    if sla is None:
        sla = SlaClock(ticket=ticket, metric=metric, cycle=0)
    else:
        sla.cycle += 1
    sla.calendar, sla.target_s, sla.started_at = policy.calendar, policy.target(metric), now
    sla.remaining_s, sla.achieved_at, sla.running_since = policy.target(metric), None, None
    sla.breached = sla.settled = False
    if ticket.status == "open":
        _run(calendars, sla, now)
    else:
        sla.due_at = None
    return sla


# A ticket's reporting row and its clocks, read at every message and status change (their SQL made once).
_REPORT = Prepared(lambda ticket_id: TicketSla.select().where(TicketSla.ticket == ticket_id).limit(1))
_CLOCKS = Prepared(lambda ticket_id: SlaClock.select().where(SlaClock.ticket == ticket_id))


def _report(ticket: Ticket) -> TicketSla:
    report = _REPORT.first(ticket.id)
    return report or TicketSla(ticket=ticket.id, due_key=FAR_FUTURE)


def _save(ticket: Ticket, report: TicketSla, clocks: list[SlaClock]) -> None:
    """Save the clocks, and the reporting row with the ticket's facts the reports filter on."""
    new = [sla for sla in clocks if sla.id is None]
    inserted: set[int] = set()
    if len(new) > 1 and SlaClock._meta.database.returning_clause:  # a new ticket's two clocks: one INSERT
        SlaClock.bulk_create(new)
        inserted = {id(sla) for sla in new}
    for sla in clocks:
        if id(sla) not in inserted and (sla.id is None or sla.is_dirty()):  # an untouched clock needs no UPDATE
            sla.save()
    running = [sla.due_at for sla in clocks if sla.running_since is not None and sla.achieved_at is None]
    report.due_key = min(running, default=FAR_FUTURE)
    report.created_at, report.resolved_at, report.status = ticket.created_at, ticket.resolved_at, ticket.status
    report.tier, report.department = ticket.tier, ticket.department
    report.save()


def ticket_moved(ticket: Ticket) -> None:
    """The ticket's tier or department changed (an escalation): the reports follow it."""
    TicketSla.update(tier=ticket.tier, department=ticket.department).where(TicketSla.ticket == ticket.id).execute()


def _clocks(ticket: Ticket) -> dict[str, SlaClock]:
    return {sla.metric: sla for sla in _CLOCKS.rows(ticket.id)}


def ticket_created(ticket: Ticket) -> None:
    calendars, now = _Calendars(), ticket.created_at
    policy = policy_for(ticket.category, ticket.tier)
    clocks = [_start(calendars, ticket, metric, now, policy=policy) for metric in ("first_response", "resolution")]
    _save(ticket, TicketSla(ticket=ticket, due_key=FAR_FUTURE), clocks)


def _achieve(calendars: _Calendars, report: TicketSla, sla: SlaClock, now: dt.datetime) -> None:
    if sla.achieved_at is not None:
        return
    _stop(calendars, report, sla, now)
    sla.achieved_at = now
    if not sla.breached:
        sla.settled = True
        report.met += 1


def message_added(ticket: Ticket, author_role: str, kind: str, now: dt.datetime) -> None:
    """After a public message and the status change it brought."""
    if kind not in ("reply", "info_request"):
        return
    calendars, clocks, report = _Calendars(), _clocks(ticket), _report(ticket)
    if author_role == "agent":
        first = clocks.get("first_response")
        if first is not None and first.achieved_at is None:
            _achieve(calendars, report, first, now)
            report.first_response_at = now
            report.first_response_s = int((now - ticket.created_at).total_seconds())
        if "next_response" in clocks:
            _achieve(calendars, report, clocks["next_response"], now)
    elif author_role in ("customer", "guest"):
        first, following = clocks.get("first_response"), clocks.get("next_response")
        if first is not None and first.achieved_at is not None and (following is None or following.achieved_at):
            clocks["next_response"] = _start(calendars, ticket, "next_response", now, following)
    _save(ticket, report, list(clocks.values()))


def status_changed(ticket: Ticket, old_status: str, new_status: str, now: dt.datetime) -> None:
    clocks = _clocks(ticket)
    calendars, report = _Calendars(), _report(ticket)
    resolution = clocks.get("resolution")
    if new_status == "open":
        if resolution is not None and resolution.achieved_at is not None:  # reopened
            if not resolution.breached:
                report.met -= 1
                resolution.settled = False
            resolution.achieved_at, report.resolution_s = None, None
        for sla in clocks.values():
            if sla.achieved_at is None and sla.running_since is None:
                _run(calendars, sla, now)
    else:
        for sla in clocks.values():
            if sla.metric == "resolution" and new_status == "resolved":
                _achieve(calendars, report, sla, now)
                report.resolution_s = int((now - ticket.created_at).total_seconds())
            else:
                _stop(calendars, report, sla, now)
    _save(ticket, report, list(clocks.values()))


def _clock_dict(sla: SlaClock | None, now: dt.datetime) -> dict:
    if sla is None:
        return {"due_at": None, "achieved_at": None, "breached": False, "paused": False}
    running = sla.running_since is not None
    paused = not running and sla.achieved_at is None
    late = running and sla.due_at is not None and now > sla.due_at
    return {"due_at": None if paused else clock.isoformat(sla.due_at), "achieved_at": clock.isoformat(sla.achieved_at),
            "breached": bool(sla.breached or late), "paused": paused}


def sla_dict(ticket: Ticket) -> dict:
    """The agent view's `sla`: each target's due time, achievement, breach and pause."""
    clocks, now = _clocks(ticket), clock.now()
    return {metric: _clock_dict(clocks.get(metric), now) for metric in METRICS}


def due_keys(ticket_ids: list[int]) -> dict[int, dt.datetime | None]:
    """The earliest due time of each ticket's running clocks (None when none runs), in one query."""
    if not ticket_ids:
        return {}
    rows = TicketSla.select(TicketSla.ticket, TicketSla.due_key).where(TicketSla.ticket.in_(ticket_ids)).tuples()
    return {ticket_id: (None if due == FAR_FUTURE else due) for ticket_id, due in rows}
