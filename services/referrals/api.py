"""The customers' referral and assets endpoints."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from services.referrals import boxes, codes, presenters, rules, schemas
from services.referrals.app import price_source, prize_table, restricted_regions
from services.referrals.models import LedgerEntry, Member, MysteryBox
from services.referrals.program import person
from shared.errors import ApiError
from shared.internal_auth import Caller
from shared.web import Blueprint, current_caller, load_query

blp = Blueprint("referrals", __name__, url_prefix="/api/v1", description="Referral program and capital flows")


def customer() -> Caller:
    caller = current_caller()
    if not caller.is_customer:
        raise ApiError(403, "forbidden", "The referral program is for customers' accounts.")
    return caller


def qualifying_invitees(user_id: int) -> int:
    """Friends who registered with the caller's code and can earn (no sub-accounts, no restricted regions)."""
    query = Member.select().where((Member.inviter_id == user_id) & Member.parent_id.is_null()
                                  & (Member.user_id != user_id))
    restricted = restricted_regions()
    if restricted:
        query = query.where(Member.region.is_null() | Member.region.not_in(list(restricted)))
    return query.count()


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


@blp.route("/referrals/boxes")
class MyBoxes(MethodView):
    @blp.response(200, schemas.MysteryBoxPageOut)
    @blp.doc(parameters=[{"in": "query", "name": "cursor", "schema": {"type": "string"}},
                         {"in": "query", "name": "limit", "schema": {"type": "integer"}}])
    def get(self):
        """The caller's mystery boxes, newest first."""
        caller = customer()
        args = load_query(schemas.ReferralPageQuery())
        rows, next_cursor = presenters.page(MysteryBox.select().where(MysteryBox.user_id == caller.user_id),
                                            MysteryBox, args["limit"], args["cursor"])
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
    @blp.response(200, schemas.CapitalFlowPageOut)
    @blp.doc(parameters=[{"in": "query", "name": "cursor", "schema": {"type": "string"}},
                         {"in": "query", "name": "limit", "schema": {"type": "integer"}}])
    def get(self):
        """The funding account's capital flows, newest first: pending, then credited."""
        caller = customer()
        args = load_query(schemas.ReferralPageQuery())
        rows, next_cursor = presenters.page(LedgerEntry.select().where(LedgerEntry.user_id == caller.user_id),
                                            LedgerEntry, args["limit"], args["cursor"])
        return {"items": [presenters.entry_dict(entry) for entry in rows], "next_cursor": next_cursor}
