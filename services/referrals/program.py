"""Invitations and milestones: store each fact, then re-judge the invitee.

Each handler runs inside the consumer's transaction. Facts are stored first;
the rules in `rules.py` are then re-run over everything stored about the invitee,
and the boxes the rules call for are created if missing. The unique index on
(invitee, milestone, role) makes "once per invitee" a property of the database,
so replays, duplicates and concurrent consumers cannot pay twice.

When a thing happened is the event's own time: a `data.occurred_at` if the
producer sends one, else the envelope's `occurred_at` (never the arrival time).
"""
from __future__ import annotations

import hashlib
import logging
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

import peewee

from services.referrals import codes, rules
from services.referrals.models import Activity, Member, MysteryBox, db
from shared import clock
from shared.db import is_postgres
from shared.events import Envelope, EventType
from shared.outbox import Outbox

log = logging.getLogger(__name__)

MAX_USDT_VALUE = Decimal(10) ** 12
USDT_PLACES = Decimal(10) ** -12
ACTIVITY_KIND = {
    EventType.USER_APP_INSTALLED: "app_installed",
    EventType.WALLET_DEPOSIT_COMPLETED: "deposit",
    EventType.TRADE_BUY_COMPLETED: "buy",
}


@dataclass
class ReferralProgram:
    outbox: Outbox
    restricted_regions: Collection[str]
    code_secret: str

    @classmethod
    def from_settings(cls, settings: dict, outbox: Outbox) -> ReferralProgram:
        return cls(outbox, frozenset(settings["REFERRAL_RESTRICTED_REGIONS"]), settings["REFERRAL_CODE_SECRET"])

    # --- event handlers -------------------------------------------------------------

    def record_registration(self, envelope: Envelope) -> None:
        """`user.registered.v1`: remember the account, then judge it and anyone it invited."""
        data = envelope.data
        user_id = int(data["user_id"])
        lock_person(user_id)
        if Member.get_or_none(Member.user_id == user_id) is None:
            code = data.get("referral_code") or None
            region = data.get("region") or None
            member = insert_ignoring_duplicate(
                Member, user_id=user_id, region=region.upper()[:8] if region else None,
                parent_id=data.get("parent_id"), referral_code=code[:32] if code else None,
                inviter_id=codes.user_for(code, self.code_secret),
                registered_at=event_time(data.get("registered_at"), envelope))
            if member is not None:
                self._announce(member)
        self.judge(user_id)
        # An inviter whose own registration arrives after its invitees' facts.
        for (invitee_id,) in Member.select(Member.user_id).where(Member.inviter_id == user_id).tuples():
            lock_person(invitee_id)
            self.judge(invitee_id)

    def record_activity(self, envelope: Envelope) -> None:
        """An app install, a deposit or a buy: store it as a fact, then judge its owner."""
        data = envelope.data
        user_id = int(data["user_id"])
        kind = ACTIVITY_KIND[EventType(envelope.type)]
        value = usdt_value(data["usdt_value"]) if kind != "app_installed" else None
        tx_id = data.get("tx_id") if kind != "app_installed" else None
        source_key = f"{kind}:tx:{hashlib.sha256(tx_id.encode()).hexdigest()}" if tx_id else f"event:{envelope.id}"
        lock_person(user_id)
        insert_ignoring_duplicate(
            Activity, user_id=user_id, kind=kind, occurred_at=event_time(data.get("occurred_at"), envelope),
            usdt_value=value, source_key=source_key, event_id=envelope.id)
        self.judge(user_id)

    def _announce(self, member: Member) -> None:
        """`referral.member_joined.v1`: the account's standing, for support's view of the customer."""
        me = person(member.user_id)
        reason = rules.ineligibility(me, self.restricted_regions)
        self.outbox.add(EventType.REFERRAL_MEMBER_JOINED, {
            "user_id": member.user_id, "eligible": reason is None, "reason": reason,
            "inviter_id": member.inviter_id,
            # As `invitees` counts them (services/referrals/api.py): no sub-account, no restricted region.
            "counts_as_invitee": member.inviter_id is not None and member.inviter_id != member.user_id
                                 and reason is None})

    # --- judging -------------------------------------------------------------------

    def judge(self, invitee_id: int) -> list[MysteryBox]:
        """Grant whatever the rules say the invitee's stored facts have earned; returns new boxes."""
        invitee = person(invitee_id)
        if invitee is None or invitee.inviter_id is None:
            return []
        inviter = person(invitee.inviter_id)
        facts = [rules.Fact(a.kind, a.occurred_at, a.usdt_value)
                 for a in Activity.select().where(Activity.user_id == invitee_id)]
        earned = rules.earned_milestones(invitee, inviter, facts, self.restricted_regions)
        granted = []
        for milestone in earned:
            granted += self._grant(milestone, invitee.user_id, {"inviter": inviter.user_id,
                                                                 "invitee": invitee.user_id})
        return granted

    def _grant(self, milestone: str, invitee_id: int, owners: dict[str, int]) -> list[MysteryBox]:
        made = []
        existing = {role for (role,) in MysteryBox.select(MysteryBox.role)
                    .where((MysteryBox.invitee_id == invitee_id) & (MysteryBox.milestone == milestone)).tuples()}
        for role, user_id in owners.items():
            if role in existing:
                continue
            box = insert_ignoring_duplicate(MysteryBox, user_id=user_id, invitee_id=invitee_id, role=role,
                                            milestone=milestone)
            if box is None:
                continue
            self.outbox.add(EventType.REFERRAL_BOX_GRANTED, {
                "box_id": box.id, "user_id": user_id, "milestone": milestone, "role": role})
            log.info("mystery box granted", extra={"box_id": box.id, "user_id": user_id,
                                                   "milestone": milestone, "role": role})
            made.append(box)
        return made


def person(user_id: int) -> rules.Person | None:
    member = Member.get_or_none(Member.user_id == user_id)
    if member is None:
        return None
    return rules.Person(member.user_id, member.region, member.parent_id, member.inviter_id, member.registered_at)


def usdt_value(raw: str) -> Decimal:
    """The reported value, bounded so that it is stored exactly in the amount column.

    Above the cap every value counts the same for a 50 USDT threshold; below a
    trillionth of a USDT nothing counts.
    """
    return min(Decimal(raw), MAX_USDT_VALUE).quantize(USDT_PLACES, rounding=ROUND_DOWN)


def event_time(stamp: str | None, envelope: Envelope):
    """When it happened: the data's own timestamp if it carries a valid one, else the envelope's."""
    if stamp:
        try:
            return clock.parse_iso(str(stamp))
        except ValueError:
            log.warning("unreadable timestamp in event data; using the envelope's",
                        extra={"event_id": envelope.id})
    return envelope.occurred


def insert_ignoring_duplicate(model: type[peewee.Model], **values) -> peewee.Model | None:
    """Create a row, or nothing if a unique index already holds its twin (in a savepoint)."""
    try:
        with db.atomic():
            return model.create(**values)
    except peewee.IntegrityError:
        return None


def lock_person(user_id: int) -> None:
    """Serialise the judging of one person across consumers until the transaction ends.

    Without it two consumers on PostgreSQL could each store one of two deposits that
    together reach 50 USDT, each see only its own, and neither grant. SQLite's write
    lock (taken at BEGIN) already serialises every transaction.
    """
    database = db.obj
    if is_postgres(database):
        namespace = zlib.crc32(f"{getattr(database, '_service_schema', '')}:referrals".encode()) & 0x7FFFFFFF
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", ((namespace << 32) | (user_id & 0xFFFFFFFF),))
