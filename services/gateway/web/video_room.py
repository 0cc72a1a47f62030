"""The simulated video room: `GET /video/rooms/{room}?jwt=...`, where the video service's
default provider (`simulated`, services/video/providers.py) sends "Join call". There is no
video server behind it: the page says so, names the call and shows the pass the service
signed (its holder, its validity, the token itself), so that a local run leads somewhere real.
The token is only read for display; a real provider checks it with its own key."""
from __future__ import annotations

import datetime as dt
import re

import jwt
from flask import request

from services.gateway.web.pages import blp, render, viewer
from shared.errors import ApiError

ROOM = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def pass_claims(token: str) -> dict:
    """What the pass says (not verified: the gateway does not hold the rooms' key, nor need it)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def iso(timestamp) -> str | None:
    if not isinstance(timestamp, int | float):
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat().replace("+00:00", "Z")


@blp.get("/video/rooms/<room>")
def simulated_room(room: str):
    if not ROOM.match(room):
        raise ApiError(404, "not_found", "No such room.")
    token = request.args.get("jwt", "")
    claims = pass_claims(token) if token else {}
    valid = claims.get("room") == room
    response = render("video_room.html", "video_room", viewer(), room=room, token=token if valid else "",
                      holder=claims.get("name") if valid else None, expires_at=iso(claims.get("exp")) if valid else None)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
