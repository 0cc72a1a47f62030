"""The program's rules as pure functions of the stored facts.

Grants depend only on the set of facts (registrations and activities), never on
the order they arrived in: every new fact re-runs these rules, and the boxes that
exist are made to match what they say.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

INSTALL_WINDOW = dt.timedelta(days=7)
VALUE_WINDOW = dt.timedelta(days=14)
VALUE_THRESHOLD = Decimal("50")
# Another system's clock may run a little ahead of ours: an install stamped a few
# minutes before the registration still counts.
EARLY_TOLERANCE = dt.timedelta(minutes=5)

APP_INSTALLED = "app_installed"
DEPOSIT_50 = "deposit_50"
VALUE_KINDS = ("deposit", "buy")

REASON_MESSAGES = {
    "sub_account": "Sub-accounts cannot take part in the referral program.",
    "restricted_region": "The referral program is not available in your region.",
    "account_pending": "Your account is still being set up; please try again in a moment.",
}


@dataclass(frozen=True)
class Person:
    user_id: int
    region: str | None
    parent_id: int | None
    inviter_id: int | None
    registered_at: dt.datetime


@dataclass(frozen=True)
class Fact:
    kind: str  # app_installed | deposit | buy
    occurred_at: dt.datetime
    usdt_value: Decimal | None = None


def ineligibility(person: Person, restricted_regions: Collection[str]) -> str | None:
    """Why `person` cannot take part (a reason code), or None if they can."""
    if person.parent_id is not None:
        return "sub_account"
    if person.region and person.region.upper() in restricted_regions:
        return "restricted_region"
    return None


def is_self_referral(invitee: Person, inviter: Person) -> bool:
    """The same account, its sub-account, or its parent."""
    return (invitee.user_id == inviter.user_id
            or invitee.parent_id == inviter.user_id
            or inviter.parent_id == invitee.user_id)


def within(person: Person, moment: dt.datetime, window: dt.timedelta) -> bool:
    return person.registered_at - EARLY_TOLERANCE <= moment <= person.registered_at + window


def milestones_reached(invitee: Person, facts: Iterable[Fact]) -> list[str]:
    """The milestones the invitee's own activity reaches, judged by when each thing happened."""
    facts = list(facts)
    reached = []
    if any(f.kind == APP_INSTALLED and within(invitee, f.occurred_at, INSTALL_WINDOW) for f in facts):
        reached.append(APP_INSTALLED)
    moved = sum((f.usdt_value for f in facts
                 if f.kind in VALUE_KINDS and f.usdt_value is not None
                 and within(invitee, f.occurred_at, VALUE_WINDOW)), Decimal(0))
    if moved >= VALUE_THRESHOLD:
        reached.append(DEPOSIT_50)
    return reached


def earned_milestones(invitee: Person, inviter: Person | None, facts: Iterable[Fact],
                      restricted_regions: Collection[str]) -> list[str]:
    """The milestones that pay a box to the invitee and one to the inviter."""
    if inviter is None or is_self_referral(invitee, inviter):
        return []
    if ineligibility(invitee, restricted_regions) or ineligibility(inviter, restricted_regions):
        return []
    return milestones_reached(invitee, facts)
