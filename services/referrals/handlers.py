"""Event handlers of the referrals service: the program's methods, in one table."""
from __future__ import annotations

from services.referrals.program import ReferralProgram
from shared.events import EventType


def handlers(program: ReferralProgram) -> dict[str, list]:
    """`{event type: [handler]}` for the consumer; each handler takes the envelope."""
    return {
        EventType.USER_REGISTERED: [program.record_registration],
        EventType.USER_APP_INSTALLED: [program.record_activity],
        EventType.WALLET_DEPOSIT_COMPLETED: [program.record_activity],
        EventType.TRADE_BUY_COMPLETED: [program.record_activity],
    }
