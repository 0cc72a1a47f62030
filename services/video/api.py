"""The customers' and verified guests' video-call endpoints."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask.views import MethodView

from services.video import calls, presenters, rooms, schemas
from services.video.access import owned_call, owner_filter
from services.video.app import outbox, provider, rules
from services.video.models import VideoCall, db
from shared.web import Blueprint, current_caller, load_query

blp = Blueprint("video_calls", __name__, url_prefix="/api/v1", description="Customers' and guests' video calls")


def page(query, limit: int, cursor: str | None):
    """Newest first, keyset on the id."""
    if cursor:
        query = query.where(VideoCall.id < int(cursor))
    rows = list(query.order_by(VideoCall.id.desc()).limit(limit + 1))
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


@blp.route("/video-calls")
class VideoCalls(MethodView):
    @blp.response(200, schemas.CallPageOut)
    @blp.doc(parameters=[{"in": "query", "schema": schemas.CallListQuery}])
    def get(self):
        """The caller's video calls, newest first, each saying whether it can be joined now."""
        condition = owner_filter(current_caller())
        args = load_query(schemas.CallListQuery())
        if condition is None:
            return {"items": [], "next_cursor": None}
        query = VideoCall.select().where(condition)
        if args["status"]:
            query = query.where(VideoCall.status.in_(args["status"].split(",")))
        rows, next_cursor = page(query, args["limit"], args["cursor"])
        return {"items": [presenters.call_dict(c, rules()) for c in rows], "next_cursor": next_cursor}


@blp.route("/video-calls/<int:call_id>")
class VideoCallDetail(MethodView):
    @blp.response(200, schemas.CallEnvelopeOut)
    def get(self, call_id):
        """One of the caller's calls."""
        return {"call": presenters.call_dict(owned_call(current_caller(), call_id), rules())}


@blp.route("/video-calls/<int:call_id>/booking")
class Booking(MethodView):
    @blp.arguments(schemas.BookingSchema)
    @blp.response(200, schemas.CallEnvelopeOut)
    def post(self, fields, call_id):
        """Book one of the offered slots (or change to another); it must still lie in the future."""
        with db.atomic():
            call = owned_call(current_caller(), call_id, for_update=True)
            calls.book(outbox(), call, fields["slot_start"], rules())
        return {"call": presenters.call_dict(VideoCall.get_by_id(call.id), rules())}


@blp.route("/video-calls/<int:call_id>/translation")
class Translation(MethodView):
    @blp.arguments(schemas.TranslationSchema)
    @blp.response(200, schemas.CallEnvelopeOut)
    def put(self, fields, call_id):
        """Translate from the customer's spoken language to English during the call (or turn it off)."""
        with db.atomic():
            call = owned_call(current_caller(), call_id, for_update=True)
            if fields["enabled"]:
                calls.set_translation(call, fields["translate_from"], fields["translate_to"])
            else:
                calls.set_translation(call, None, None)
        return {"call": presenters.call_dict(VideoCall.get_by_id(call.id), rules())}


@blp.route("/video-calls/<int:call_id>/join")
class Join(MethodView):
    @blp.response(200, schemas.JoinOut)
    def post(self, call_id):
        """The room link and a short-lived room token, from 5 minutes before the start until the slot's end."""
        caller = current_caller()
        call = owned_call(caller, call_id)
        room = rooms.room_pass(call, caller, provider(), rules(), **token_lifetimes())
        return rooms.pass_dict(room, provider())


def token_lifetimes() -> dict:
    return {"margin": dt.timedelta(seconds=current_app.config["VIDEO_TOKEN_MARGIN_SECONDS"]),
            "max_lifetime": dt.timedelta(seconds=current_app.config["VIDEO_TOKEN_MAX_SECONDS"])}
