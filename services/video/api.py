"""The customers' and verified guests' video-call endpoints."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from services.video import calls, presenters, rooms, schemas
from services.video.access import owned_call, owner_filter
from services.video.extensions import outbox, provider, rules, token_lifetimes
from services.video.models import VideoCall, db
from shared.pagination import keyset_page
from shared.web import Blueprint, current_caller

blp = Blueprint("video_calls", __name__, url_prefix="/api/v1", description="Customers' and guests' video calls")


def calls_page(query, args: dict) -> tuple[list[VideoCall], str | None]:
    """The page `args` ask for (`status`, `cursor`, `limit`) of `query`'s calls, newest first."""
    if args["status"]:
        query = query.where(VideoCall.status.in_(args["status"].split(",")))
    return keyset_page(query, [VideoCall.id], args["limit"], args["cursor"])


@blp.route("/video-calls")
class VideoCalls(MethodView):
    @blp.arguments(schemas.CallListQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, schemas.CallPageOut)
    def get(self, args):
        """The caller's video calls, newest first, each saying whether it can be joined now."""
        condition = owner_filter(current_caller())
        if condition is None:
            return {"items": [], "next_cursor": None}
        rows, next_cursor = calls_page(VideoCall.select().where(condition), args)
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
