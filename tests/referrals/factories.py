"""Events the referrals service consumes, built as their producers would publish them."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from services.referrals import codes
from shared import clock
from shared.events import Envelope, EventType

CODE_SECRET = "test-referral-code-secret"
T0 = dt.datetime(2026, 3, 1, 12, 0, 0)


def code_of(user_id: int) -> str:
    return codes.code_for(user_id, CODE_SECRET)


def registered(user_id: int, *, at: dt.datetime = T0, inviter: int | None = None, region: str | None = "ES",
               parent_id: int | None = None, code: str | None = None) -> Envelope:
    return Envelope.new(EventType.USER_REGISTERED, {
        "user_id": user_id, "email": f"user{user_id}@example.com", "locale": "en", "region": region,
        "referral_code": code or (code_of(inviter) if inviter else None), "parent_id": parent_id,
        "registered_at": clock.isoformat(at)}, "gateway", occurred_at=at)


def installed(user_id: int, *, at: dt.datetime, platform: str = "ios") -> Envelope:
    return Envelope.new(EventType.USER_APP_INSTALLED, {"user_id": user_id, "platform": platform},
                        "gateway", occurred_at=at)


def deposit(user_id: int, value: str | Decimal, *, at: dt.datetime, tx_id: str | None = None,
            kind: EventType = EventType.WALLET_DEPOSIT_COMPLETED) -> Envelope:
    data = {"user_id": user_id, "usdt_value": str(value), "asset": "USDT", "amount": str(value)}
    if tx_id:
        data["tx_id"] = tx_id
    return Envelope.new(kind, data, "wallet", occurred_at=at)


def buy(user_id: int, value: str | Decimal, *, at: dt.datetime, tx_id: str | None = None) -> Envelope:
    return deposit(user_id, value, at=at, tx_id=tx_id, kind=EventType.TRADE_BUY_COMPLETED)


def with_new_id(envelope: Envelope) -> Envelope:
    """The same report under another envelope id (a producer that retried with a new id)."""
    return Envelope.from_dict({**envelope.to_dict(), "id": str(uuid.uuid4())})
