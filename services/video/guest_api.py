"""Logged-out joining ("Join video call appointment"): an email code, then a guest
session scoped to that email's calls, which the gateway turns into a guest token."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from services.video import guest_codes, schemas
from services.video.extensions import outbox
from services.video.models import db
from shared.web import Blueprint

blp = Blueprint("guest_video_calls", __name__, url_prefix="/api/v1/guest/video-calls",
                description="Joining a video call without logging in")

SENT_MESSAGE = "If this address has a video call with support, a code is on its way to it."


@blp.route("/verification-code")
class CodeRequest(MethodView):
    @blp.arguments(schemas.CodeRequestSchema)
    @blp.response(202, schemas.CodeRequestedOut)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, fields):
        """Send a code to the address if it has video calls; the answer is the same either way."""
        with db.atomic():
            guest_codes.request_code(outbox(), fields["email"], current_app.config["VIDEO_CODE_SECRET"])
        return {"message": SENT_MESSAGE}


@blp.route("/session")
class GuestSession(MethodView):
    @blp.arguments(schemas.SessionRequestSchema)
    @blp.response(200, schemas.GuestSessionOut)
    def post(self, fields):
        """A right code opens a guest session for that email's calls (the gateway signs its token)."""
        email = guest_codes.normalize(fields["email"])
        with db.atomic():
            error = guest_codes.verify_code(email, fields["code"], current_app.config["VIDEO_CODE_SECRET"])
        if error is not None:
            raise error
        return {"email": email, "_guest_grant": {
            "email": email, "scope": {"video_email": email},
            "ttl_seconds": current_app.config["VIDEO_GUEST_SESSION_SECONDS"]}}
