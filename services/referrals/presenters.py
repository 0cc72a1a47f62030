"""Boxes, rewards and ledger entries as the API shows them; amounts as decimal strings."""
from __future__ import annotations

from services.referrals.models import LedgerEntry, MysteryBox, format_amount
from shared import clock


def reward_dict(box: MysteryBox) -> dict | None:
    if box.status != "opened":
        return None
    return {"kind": box.reward_kind, "amount": format_amount(box.reward_amount),
            "usdt_value": format_amount(box.reward_usdt_value)}


def box_dict(box: MysteryBox) -> dict:
    return {"id": box.id, "milestone": box.milestone, "role": box.role, "status": box.status,
            "reward": reward_dict(box), "granted_at": clock.isoformat(box.granted_at),
            "opened_at": clock.isoformat(box.opened_at)}


def draw_dict(box: MysteryBox) -> dict:
    """How the reward was drawn: the prize table's version and the price used."""
    return {"prize_table_version": box.prize_table_version,
            "usdt_price": format_amount(box.price_used) if box.price_used is not None else None}


def entry_dict(entry: LedgerEntry) -> dict:
    return {"id": entry.id, "account": entry.account, "type": entry.type, "asset": entry.asset,
            "amount": format_amount(entry.amount), "status": entry.status, "reference": entry.reference,
            "created_at": clock.isoformat(entry.created_at), "credited_at": clock.isoformat(entry.credited_at)}

