"""The agents' video-call endpoints: propose slots on a ticket, reschedule, cancel,
record the outcome, and join. Whether an agent may see a ticket is the tickets
service's decision, asked over its API on every call."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from services.video import calls, presenters, rooms, schemas
from services.video.api import calls_page
from services.video.extensions import outbox, provider, rules, tickets_client, token_lifetimes
from services.video.models import MAX_ID, VideoCall, db
from shared.db import for_update
from shared.errors import ApiError, not_found
from shared.web import Blueprint, current_caller

blp = Blueprint("agent_video_calls", __name__, url_prefix="/api/v1/agent", description="Agents' video calls")


@blp.before_request
def _agents_only():
    if not current_caller().is_agent:
        raise ApiError(403, "forbidden", "This is for support agents.")


def agent_call(call_id: int) -> VideoCall:
    """The call if its ticket is one the agent may see; 404 otherwise."""
    call = VideoCall.get_or_none(VideoCall.id == call_id) if 0 < call_id <= MAX_ID else None
    if call is None:
        raise not_found("video call")
    try:
        tickets_client().agent_ticket(current_caller(), call.ticket_number)
    except ApiError as exc:
        if exc.status in (403, 404):
            raise not_found("video call") from None
        raise
    return call


def agent_view(call: VideoCall) -> dict:
    return {"call": presenters.call_dict(VideoCall.get_by_id(call.id), rules(), agent_view=True)}


@blp.route("/tickets/<string:number>/video-calls")
class TicketVideoCalls(MethodView):
    @blp.arguments(schemas.ProposeSchema)
    @blp.response(201, schemas.AgentCallEnvelopeOut)
    def post(self, fields, number):
        """Ask the ticket's requester to a video call in one of the offered slots."""
        agent = current_caller()
        ticket = tickets_client().agent_ticket(agent, number)  # before the transaction: no lock held over HTTP
        with db.atomic():
            call = calls.propose(outbox(), ticket, agent, fields["slots"], rules())
        return agent_view(call)

    @blp.arguments(schemas.CallListQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, schemas.AgentCallPageOut)
    def get(self, args, number):
        """The ticket's video calls, newest first."""
        tickets_client().agent_ticket(current_caller(), number)
        rows, next_cursor = calls_page(VideoCall.select().where(VideoCall.ticket_number == number), args)
        return {"items": [presenters.call_dict(c, rules(), agent_view=True) for c in rows],
                "next_cursor": next_cursor}


@blp.route("/video-calls")
class MyVideoCalls(MethodView):
    @blp.arguments(schemas.CallListQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, schemas.AgentCallPageOut)
    def get(self, args):
        """The calls this agent scheduled, newest first."""
        rows, next_cursor = calls_page(VideoCall.select().where(VideoCall.agent_id == current_caller().user_id),
                                       args)
        return {"items": [presenters.call_dict(c, rules(), agent_view=True) for c in rows],
                "next_cursor": next_cursor}


@blp.route("/video-calls/<int:call_id>")
class AgentVideoCall(MethodView):
    @blp.response(200, schemas.AgentCallEnvelopeOut)
    def get(self, call_id):
        """One call, with the requester and the outcome note."""
        return agent_view(agent_call(call_id))


@blp.route("/video-calls/<int:call_id>/reschedule")
class Reschedule(MethodView):
    @blp.arguments(schemas.RescheduleSchema)
    @blp.response(200, schemas.AgentCallEnvelopeOut)
    def post(self, fields, call_id):
        """Offer new slots (the booking is cleared) or move the booking to `booked_slot`."""
        agent_call(call_id)
        with db.atomic():
            call = agent_call_locked(call_id)
            calls.reschedule(outbox(), call, rules(), slots=fields["slots"], booked_slot=fields["booked_slot"])
        return agent_view(call)


@blp.route("/video-calls/<int:call_id>/cancel")
class Cancel(MethodView):
    @blp.arguments(schemas.CancelSchema)
    @blp.response(200, schemas.AgentCallEnvelopeOut)
    def post(self, fields, call_id):
        """Cancel the call; no reminder follows."""
        agent_call(call_id)
        with db.atomic():
            call = agent_call_locked(call_id)
            calls.cancel(outbox(), call, rules(), fields["reason"])
        return agent_view(call)


@blp.route("/video-calls/<int:call_id>/outcome")
class Outcome(MethodView):
    @blp.arguments(schemas.OutcomeSchema)
    @blp.response(200, schemas.AgentCallEnvelopeOut)
    def post(self, fields, call_id):
        """Verified or not verified completes the call; no_show closes it as a no-show."""
        agent_call(call_id)
        with db.atomic():
            call = agent_call_locked(call_id)
            calls.record_outcome(outbox(), call, rules(), fields["result"], fields["note"])
        return agent_view(call)


@blp.route("/video-calls/<int:call_id>/join")
class AgentJoin(MethodView):
    @blp.response(200, schemas.JoinOut)
    def post(self, call_id):
        """The agent's room pass (moderator), inside the same window as the customer's."""
        call = agent_call(call_id)
        room = rooms.room_pass(call, current_caller(), provider(), rules(), **token_lifetimes())
        return rooms.pass_dict(room, provider())


def agent_call_locked(call_id: int) -> VideoCall:
    """The call's row, locked for the rest of the transaction (its ticket was checked just before)."""
    return for_update(VideoCall.select().where(VideoCall.id == call_id), db.obj, skip_locked=False).get()
