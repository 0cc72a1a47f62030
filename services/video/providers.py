"""Video room providers: each signs the short-lived JWT its servers accept.

One interface, one implementation per provider, chosen by `VIDEO_PROVIDER`.
Nothing here calls the provider: Jitsi (with JWT auth) and LiveKit both verify
the token themselves with the shared secret, so signing it is the whole job.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import jwt

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Participant:
    """Who the token lets in."""

    identity: str
    name: str
    email: str | None = None
    moderator: bool = False


@dataclass(frozen=True)
class RoomPass:
    room_url: str
    room_token: str
    expires_at: dt.datetime


class VideoProvider(Protocol):
    name: str

    def room_url(self, room: str) -> str: ...

    def room_token(self, room: str, participant: Participant, not_before: dt.datetime,
                   expires_at: dt.datetime) -> str: ...


def _timestamp(value: dt.datetime) -> int:
    return int(value.replace(tzinfo=dt.UTC).timestamp())


class JitsiProvider:
    """Jitsi Meet with token authentication (prosody's `token` auth, `app_id`/`app_secret`)."""

    name = "jitsi"

    def __init__(self, app_id: str, secret: str, base_url: str) -> None:
        self.app_id = app_id
        self.secret = secret
        self.base_url = base_url.rstrip("/")
        # Jitsi checks `sub` against the XMPP domain, which is the meeting host.
        self.domain = self.base_url.split("://", 1)[-1].split("/", 1)[0]

    def room_url(self, room: str) -> str:
        return f"{self.base_url}/{room}"

    def room_token(self, room: str, participant: Participant, not_before: dt.datetime,
                   expires_at: dt.datetime) -> str:
        claims = {
            "aud": "jitsi",
            "iss": self.app_id,
            "sub": self.domain,
            "room": room,
            "context": {"user": {"id": participant.identity, "name": participant.name,
                                 "email": participant.email or "",
                                 "moderator": participant.moderator}},
            "moderator": participant.moderator,
            "nbf": _timestamp(not_before),
            "exp": _timestamp(expires_at),
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)


class LiveKitProvider:
    """LiveKit: an access token with a video grant for one room, signed with the API secret."""

    name = "livekit"

    def __init__(self, api_key: str, secret: str, base_url: str) -> None:
        self.api_key = api_key
        self.secret = secret
        self.base_url = base_url.rstrip("/")

    def room_url(self, room: str) -> str:
        # A LiveKit Meet style page: it connects to the server with the token, whose grant names the room.
        return f"{self.base_url}/rooms/{room}"

    def room_token(self, room: str, participant: Participant, not_before: dt.datetime,
                   expires_at: dt.datetime) -> str:
        claims = {
            "iss": self.api_key,
            "sub": participant.identity,
            "name": participant.name,
            "video": {"room": room, "roomJoin": True, "canPublish": True, "canSubscribe": True,
                      "roomAdmin": participant.moderator},
            "metadata": "",
            "nbf": _timestamp(not_before),
            "exp": _timestamp(expires_at),
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)


class SimulatedProvider:
    """No video server at all: the room is a page of the product itself (the gateway's
    `/video/rooms/{room}`, services/gateway/web/video_room.py) that says it is simulated and
    shows the pass. The default, so that `make run`'s "Join call" opens something real; a
    deployment names jitsi or livekit with its own server and key."""

    name = "simulated"

    def __init__(self, app_id: str, secret: str, base_url: str) -> None:
        self.app_id = app_id
        self.secret = secret
        self.base_url = base_url.rstrip("/")

    def room_url(self, room: str) -> str:
        return f"{self.base_url}/video/rooms/{room}"

    def room_token(self, room: str, participant: Participant, not_before: dt.datetime,
                   expires_at: dt.datetime) -> str:
        claims = {"aud": "simulated", "iss": self.app_id, "room": room, "sub": participant.identity,
                  "name": participant.name, "moderator": participant.moderator,
                  "nbf": _timestamp(not_before), "exp": _timestamp(expires_at)}
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)


PROVIDERS: dict[str, type] = {"jitsi": JitsiProvider, "livekit": LiveKitProvider, "simulated": SimulatedProvider}


def make_provider(name: str, app_id: str, secret: str, base_url: str) -> VideoProvider:
    """The provider that `VIDEO_PROVIDER` names; an unknown name fails at start, not at the first call."""
    try:
        provider_class = PROVIDERS[name]
    except KeyError:
        raise ValueError(f"VIDEO_PROVIDER must be one of {', '.join(PROVIDERS)}, got {name!r}") from None
    return provider_class(app_id, secret, base_url)
