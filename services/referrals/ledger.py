"""The funding account's capital-flows ledger: entries are appended pending and
credited once; the database refuses any edit of an amount and any delete
(migration 0002)."""
from __future__ import annotations

import logging
from decimal import Decimal

from services.referrals.models import LedgerEntry, db, format_amount
from shared import clock
from shared.db import for_update
from shared.events import EventType
from shared.outbox import Outbox

log = logging.getLogger(__name__)


def append_entry(user_id: int, entry_type: str, asset: str, amount: Decimal, reference: str) -> LedgerEntry:
    """A pending entry; `reference` is unique, so one source never makes two entries."""
    return LedgerEntry.create(user_id=user_id, type=entry_type, asset=asset, amount=amount, reference=reference)


def credit_pending(outbox: Outbox, limit: int = 100) -> int:
    """Credit a batch of pending entries to the funding account; returns how many.

    One transaction per batch: the status change and its `referral.reward_credited.v1`
    commit together or not at all, so a worker that dies mid-way leaves the entries
    pending for the next run, and the conditional UPDATE (status still pending) means
    no entry is ever credited twice, also with several workers (SKIP LOCKED on PostgreSQL).
    """
    with db.atomic():
        query = (LedgerEntry.select().where(LedgerEntry.status == "pending")
                 .order_by(LedgerEntry.id).limit(limit))
        credited = 0
        for entry in list(for_update(query, db.obj)):
            now = clock.now()
            changed = (LedgerEntry.update(status="credited", credited_at=now)
                       .where((LedgerEntry.id == entry.id) & (LedgerEntry.status == "pending")).execute())
            if not changed:
                continue
            outbox.add(EventType.REFERRAL_REWARD_CREDITED, {
                "entry_id": entry.id, "user_id": entry.user_id, "asset": entry.asset,
                "amount": format_amount(entry.amount), "entry_type": entry.type, "reference": entry.reference})
            credited += 1
    if credited:
        log.info("ledger entries credited", extra={"count": credited})
    return credited
