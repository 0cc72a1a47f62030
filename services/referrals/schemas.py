"""Request and response schemas of the referrals API (the responses document it)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from shared.pagination import cursor_field, limit_field


class ReferralPageQuery(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    cursor = cursor_field(1)
    limit = limit_field()


class ReferralSummaryOut(ma.Schema):
    code = fields.String(allow_none=True)
    link = fields.String(allow_none=True)
    eligible = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={
        "description": "Why the caller cannot take part: sub_account, restricted_region or account_pending."})
    reason_message = fields.String(allow_none=True)
    invitees = fields.Integer(metadata={"description": "Friends who registered with the code and count."})
    boxes_earned = fields.Integer()


class MysteryRewardOut(ma.Schema):
    kind = fields.String(metadata={"description": "BTC, ETH, DOT or fee_rebate_card"})
    amount = fields.String()
    usdt_value = fields.String()


class MysteryBoxOut(ma.Schema):
    id = fields.Integer()
    milestone = fields.String(metadata={"description": "app_installed or deposit_50"})
    role = fields.String(metadata={"description": "inviter or invitee"})
    status = fields.String(metadata={"description": "unopened or opened"})
    reward = fields.Nested(MysteryRewardOut, allow_none=True)
    granted_at = fields.String()
    opened_at = fields.String(allow_none=True)


class MysteryBoxPageOut(ma.Schema):
    items = fields.List(fields.Nested(MysteryBoxOut))
    next_cursor = fields.String(allow_none=True)


class RewardDrawOut(ma.Schema):
    prize_table_version = fields.String()
    usdt_price = fields.String()


class BoxOpenedOut(ma.Schema):
    reward = fields.Nested(MysteryRewardOut)
    box = fields.Nested(MysteryBoxOut)
    draw = fields.Nested(RewardDrawOut)


class CapitalFlowOut(ma.Schema):
    id = fields.Integer()
    account = fields.String()
    type = fields.String()
    asset = fields.String()
    amount = fields.String()
    status = fields.String(metadata={"description": "pending or credited"})
    reference = fields.String()
    created_at = fields.String()
    credited_at = fields.String(allow_none=True)


class CapitalFlowPageOut(ma.Schema):
    items = fields.List(fields.Nested(CapitalFlowOut))
    next_cursor = fields.String(allow_none=True)


class InviteeOut(ma.Schema):
    registered_at = fields.String()
    milestones = fields.List(fields.String(), metadata={"description": "app_installed, deposit_50: those reached"})


class InviteePageOut(ma.Schema):
    items = fields.List(fields.Nested(InviteeOut))
    next_cursor = fields.String(allow_none=True)
