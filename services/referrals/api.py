"""The customers' referral and assets endpoints."""
from __future__ import annotations

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from services.referrals import boxes, codes, presenters, rules, schemas
from services.referrals.extensions import price_source, prize_table, restricted_regions
from services.referrals.models import LedgerEntry, Member, MysteryBox
from services.referrals.program import person
from shared import clock
from shared.errors import ApiError
from shared.internal_auth import Caller
from shared.pagination import keyset_page
from shared.web import Blueprint, current_caller

blp = Blueprint("referrals", __name__, url_prefix="/api/v1", description="Referral program and capital flows")


def customer() -> Caller:
    caller = current_caller()
    if not caller.is_customer:
        raise ApiError(403, "forbidden", "The referral program is for customers' accounts.")
    return caller


def invitees_query(user_id: int):
    """Friends who registered with the caller's code and can earn (no sub-accounts, no restricted regions)."""
    query = Member.select().where((Member.inviter_id == user_id) & Member.parent_id.is_null()
                                  & (Member.user_id != user_id))
    restricted = restricted_regions()
    if restricted:
        query = query.where(Member.region.is_null() | Member.region.not_in(list(restricted)))
    return query


def qualifying_invitees(user_id: int) -> int:
    return invitees_query(user_id).count()


@blp.route("/referrals/me")
class MyReferral(MethodView):
    @blp.response(200, schemas.ReferralSummaryOut)
    def get(self):
        """The caller's code and link (when eligible), invitees and boxes earned."""
        caller = customer()
        me = person(caller.user_id)
        if caller.parent_id is not None or (me is not None and me.parent_id is not None):
            reason = "sub_account"
        elif me is None:
            reason = "account_pending"  # the registration event has not arrived yet
        else:
            reason = rules.ineligibility(me, restricted_regions())
        code = None if reason else codes.code_for(caller.user_id, current_app.config["REFERRAL_CODE_SECRET"])
        return {
            "code": code,
            "link": f"{current_app.config['PUBLIC_URL']}/register?ref={code}" if code else None,
            "eligible": reason is None,
            "reason": reason,
            "reason_message": rules.REASON_MESSAGES.get(reason),
            "invitees": qualifying_invitees(caller.user_id) if reason is None else 0,
            "boxes_earned": MysteryBox.select().where(MysteryBox.user_id == caller.user_id).count(),
        }


@blp.route("/referrals/invitees")
class MyInvitees(MethodView):
    @blp.arguments(schemas.ReferralPageQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, schemas.InviteePageOut)
    def get(self, args):
        """The friends who joined with the caller's code, newest first, with the milestones each reached.

        Only what the inviter may know: when they joined and how far they got, not who they are.
        """
        caller = customer()
        members, next_cursor = keyset_page(invitees_query(caller.user_id), [Member.user_id], args["limit"],
                                           args["cursor"])
        reached: dict[int, list[str]] = {}
        if members:
            for box in (MysteryBox.select(MysteryBox.invitee_id, MysteryBox.milestone)
                        .where((MysteryBox.user_id == caller.user_id) & (MysteryBox.role == "inviter")
                               & MysteryBox.invitee_id.in_([m.user_id for m in members]))
                        .order_by(MysteryBox.granted_at)):
                reached.setdefault(box.invitee_id, []).append(box.milestone)
        return {"items": [{"registered_at": clock.isoformat(m.registered_at), "milestones": reached.get(m.user_id, [])}
                          for m in members],
                "next_cursor": next_cursor}


@blp.route("/referrals/boxes")
class MyBoxes(MethodView):
    @blp.arguments(schemas.ReferralPageQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, schemas.MysteryBoxPageOut)
    def get(self, args):
        """The caller's mystery boxes, newest first."""
        caller = customer()
        rows, next_cursor = keyset_page(MysteryBox.select().where(MysteryBox.user_id == caller.user_id),
                                        [MysteryBox.id], args["limit"], args["cursor"])
        return {"items": [presenters.box_dict(box) for box in rows], "next_cursor": next_cursor}


@blp.route("/referrals/boxes/<int:box_id>/open")
class OpenBox(MethodView):
    @blp.response(200, schemas.BoxOpenedOut)
    def post(self, box_id):
        """Open a box: the server draws one reward; opening again returns the same one."""
        caller = customer()
        box = boxes.open_box(caller.user_id, box_id, prize_table(), price_source())
        return {"reward": presenters.reward_dict(box), "box": presenters.box_dict(box),
                "draw": presenters.draw_dict(box)}


@blp.route("/assets/capital-flows")
class CapitalFlows(MethodView):
    @blp.arguments(schemas.ReferralPageQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, schemas.CapitalFlowPageOut)
    def get(self, args):
        """The funding account's capital flows, newest first: pending, then credited."""
        caller = customer()
        rows, next_cursor = keyset_page(LedgerEntry.select().where(LedgerEntry.user_id == caller.user_id),
                                        [LedgerEntry.id], args["limit"], args["cursor"])
        return {"items": [presenters.entry_dict(entry) for entry in rows], "next_cursor": next_cursor}
