"""SLA policies per category and tier, and the calendars they run on.

The documented defaults (product.md): first response 1 hour for account & security, 2 hours for
deposit & withdrawal, 4 hours otherwise; next response 8 hours; resolution 72 hours; all on the 24/7
calendar `always`. A supervisor's row replaces the default of its category and tier."""
from __future__ import annotations

import json
from dataclasses import dataclass

from services.tickets.core.models import CATEGORIES
from services.tickets.sla.calendar import Calendar
from services.tickets.sla.models import SlaCalendar, SlaPolicy
from shared import clock
from shared.errors import ApiError
from shared.prepared import Prepared

TIERS = ("standard", "senior")
HOUR = 3600
DEFAULT_FIRST_RESPONSE = {"account_security": 1 * HOUR, "deposit_withdrawal": 2 * HOUR}
ALWAYS = "always"


@dataclass(frozen=True)
class Policy:
    category: str
    tier: str
    first_response_s: int
    next_response_s: int
    resolution_s: int
    calendar: str = ALWAYS

    def target(self, metric: str) -> int:
        return getattr(self, f"{metric}_s")

    def to_dict(self) -> dict:
        return {"category": self.category, "tier": self.tier, "first_response_s": self.first_response_s,
                "next_response_s": self.next_response_s, "resolution_s": self.resolution_s,
                "calendar": self.calendar}


def default_policy(category: str, tier: str) -> Policy:
    return Policy(category, tier, DEFAULT_FIRST_RESPONSE.get(category, 4 * HOUR), 8 * HOUR, 72 * HOUR)


# Read for every ticket created (their SQL made once).
_POLICY = Prepared(lambda category, tier: SlaPolicy.select().where((SlaPolicy.category == category)
                                                                   & (SlaPolicy.tier == tier)).limit(1))
_CALENDAR = Prepared(lambda name: SlaCalendar.select().where(SlaCalendar.name == name).limit(1))


def policy_for(category: str, tier: str) -> Policy:
    row = _POLICY.first(category, tier)
    if row is None:
        return default_policy(category, tier)
    return Policy(row.category, row.tier, row.first_response_s, row.next_response_s, row.resolution_s,
                  row.calendar)


def all_policies() -> list[Policy]:
    """Every category and tier, the supervisors' rows over the defaults."""
    stored = {(row.category, row.tier): row for row in SlaPolicy.select()}
    policies = []
    for category in CATEGORIES:
        for tier in TIERS:
            row = stored.get((category, tier))
            policies.append(default_policy(category, tier) if row is None else
                            Policy(category, tier, row.first_response_s, row.next_response_s,
                                   row.resolution_s, row.calendar))
    return policies


def replace_policies(items: list[dict]) -> list[Policy]:
    """Store the given policies (others keep theirs); a calendar must exist."""
    known = calendar_names()
    for index, item in enumerate(items):
        if item["calendar"] not in known:
            raise ApiError(400, "validation_error", "Some fields are missing or invalid.",
                           {"fields": {f"items.{index}.calendar": [f"No calendar named {item['calendar']!r}."]}})
    now = clock.now()
    for item in items:
        SlaPolicy.insert(**item, updated_at=now).on_conflict(
            conflict_target=[SlaPolicy.category, SlaPolicy.tier],
            update={SlaPolicy.first_response_s: item["first_response_s"],
                    SlaPolicy.next_response_s: item["next_response_s"],
                    SlaPolicy.resolution_s: item["resolution_s"], SlaPolicy.calendar: item["calendar"],
                    SlaPolicy.updated_at: now}).execute()
    return all_policies()


def _calendar(row: SlaCalendar) -> Calendar:
    return Calendar.from_dict({"name": row.name, "timezone": row.timezone, "hours": json.loads(row.hours),
                               "holidays": json.loads(row.holidays)})


def calendar_named(name: str) -> Calendar:
    """The stored calendar; `always` (24/7) unless a supervisor redefined it, and for a name since removed."""
    row = _CALENDAR.first(name)
    return _calendar(row) if row is not None else Calendar.always()


def calendar_names() -> set[str]:
    return {ALWAYS} | {name for (name,) in SlaCalendar.select(SlaCalendar.name).tuples()}


def all_calendars() -> list[Calendar]:
    stored = {row.name: _calendar(row) for row in SlaCalendar.select().order_by(SlaCalendar.name)}
    return [stored.pop(ALWAYS, Calendar.always()), *stored.values()]


def replace_calendars(items: list[dict]) -> list[Calendar]:
    """Store the given calendars (by name; others stay). 400 naming the item for a bad one."""
    calendars = []
    for index, item in enumerate(items):
        try:
            calendars.append(Calendar.from_dict(item))
        except ValueError as error:
            raise ApiError(400, "validation_error", "Some fields are missing or invalid.",
                           {"fields": {f"items.{index}": [str(error)]}}) from None
    now = clock.now()
    for calendar in calendars:
        data = calendar.to_dict()
        values = {"timezone": data["timezone"], "hours": json.dumps(data["hours"]),
                  "holidays": json.dumps(data["holidays"]), "updated_at": now}
        SlaCalendar.insert(name=calendar.name, **values).on_conflict(
            conflict_target=[SlaCalendar.name],
            update={getattr(SlaCalendar, key): value for key, value in values.items()}).execute()
    return all_calendars()
