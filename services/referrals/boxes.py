"""Opening a mystery box: one draw, recorded with the box, and its ledger entry.

The box changes from unopened to opened by a conditional UPDATE; only the request
whose UPDATE changed the row writes the ledger entry, in the same transaction.
Any other opening (a second click, twenty at once) finds the box opened and
returns the reward that was recorded.
"""
from __future__ import annotations

import logging

from services.referrals import ledger
from services.referrals.models import MysteryBox, db
from services.referrals.prices import PriceSource, PriceUnavailable
from services.referrals.prizes import REBATE_CARD, PrizeTable
from shared import clock
from shared.errors import ApiError, not_found

log = logging.getLogger(__name__)


def users_box(user_id: int, box_id: int) -> MysteryBox:
    box = MysteryBox.get_or_none((MysteryBox.id == box_id) & (MysteryBox.user_id == user_id))
    if box is None:
        raise not_found("mystery box")
    return box


def open_box(user_id: int, box_id: int, table: PrizeTable, prices: PriceSource) -> MysteryBox:
    """Open the caller's box (or return it as it was opened); 404 if it is not theirs."""
    with db.atomic():
        box = users_box(user_id, box_id)
        if box.status == "opened":
            return box
        try:
            reward = table.draw(prices)
        except PriceUnavailable as exc:
            log.warning("no price for a draw", extra={"box_id": box_id, "error": str(exc)})
            raise ApiError(503, "price_unavailable",
                           "Prices are unavailable right now; please open the box again shortly.") from None
        won = (MysteryBox.update(status="opened", opened_at=clock.now(), reward_kind=reward.kind,
                                 reward_amount=reward.amount, reward_usdt_value=reward.usdt_value,
                                 price_used=reward.price, prize_table_version=reward.table_version)
               .where((MysteryBox.id == box_id) & (MysteryBox.status == "unopened"))
               .execute())
        if won:
            ledger.append_entry(user_id, REBATE_CARD if reward.kind == REBATE_CARD else "mystery_box_reward",
                                reward.asset, reward.amount, f"mystery_box:{box_id}")
            log.info("mystery box opened", extra={"box_id": box_id, "user_id": user_id, "kind": reward.kind,
                                                  "prize_table": reward.table_version})
        return MysteryBox.get_by_id(box_id)
