"""Room tokens: one test over every provider decodes what the join endpoint signs."""
import datetime as dt

import jwt
import pytest

from services.video.app import create_app
from services.video.models import VideoCall, db
from services.video.providers import PROVIDERS, make_provider
from shared import clock
from tests.conftest import close_database
from tests.support import agent, customer
from tests.video.conftest import MINUTES, VIDEO_SECRET, As, open_ticket, propose, slot, video_config


def expected_claims(name: str, room: str, identity: str, opens: int, expires: int) -> dict:
    if name == "jitsi":
        return {"aud": "jitsi", "iss": "support-app", "sub": "meet.example.org", "room": room,
                "nbf": opens, "exp": expires,
                "context": {"user": {"id": identity, "name": "user1", "email": "alice@example.com",
                                     "moderator": False}}}
    if name == "simulated":
        return {"aud": "simulated", "iss": "support-app", "sub": identity, "room": room, "name": "user1",
                "nbf": opens, "exp": expires}
    return {"iss": "support-app", "sub": identity, "nbf": opens, "exp": expires,
            "video": {"room": room, "roomJoin": True}}


def contains(actual, expected) -> bool:
    """Every expected key is in `actual` with the same value (nested dicts compared the same way)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and contains(actual[k], v) for k, v in expected.items())
    return actual == expected


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_join_signs_the_configured_providers_jwt(name, tmp_path, tickets_url):
    base = {"jitsi": "https://meet.example.org", "livekit": "https://rooms.example.org",
            "simulated": "http://support.example.org/video/rooms"}[name]
    app = create_app(video_config(f"sqlite:///{tmp_path}/video.db", tickets_url, VIDEO_PROVIDER=name,
                                  VIDEO_APP_ID="support-app", VIDEO_ROOM_BASE_URL=base))
    try:
        client = app.test_client()
        support, alice = As(client, agent(900)), As(client, customer(1, "alice@example.com"))
        wanted = slot(3 * MINUTES, 30)
        call = propose(support, open_ticket(tickets_url), wanted)
        alice.post(f"/api/v1/video-calls/{call['id']}/booking", json={"slot_start": wanted["start"]})
        joined = alice.post(f"/api/v1/video-calls/{call['id']}/join")
        assert joined.status_code == 200, joined.json
        room = VideoCall.get_by_id(call["id"]).room_name
        assert joined.json["provider"] == name
        assert joined.json["room_url"].startswith(base) and joined.json["room_url"].endswith(room)
        opens = clock.parse_iso(wanted["start"]) - 5 * MINUTES
        expires = clock.parse_iso(wanted["end"]) + dt.timedelta(minutes=15)
        assert joined.json["expires_at"] == clock.isoformat(expires)
        decode = {"algorithms": ["HS256"], "audience": name} if name in ("jitsi", "simulated") \
            else {"algorithms": ["HS256"]}
        claims = jwt.decode(joined.json["room_token"], VIDEO_SECRET, **decode)
        stamp = lambda value: int(value.replace(tzinfo=dt.UTC).timestamp())  # noqa: E731
        assert contains(claims, expected_claims(name, room, "user-1", stamp(opens), stamp(expires))), claims
        assert claims["exp"] - stamp(clock.now()) <= 2 * 3600  # short-lived
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(joined.json["room_token"], "another secret of at least thirty-two bytes", **decode)
        moderator = jwt.decode(support.post(f"/api/v1/agent/video-calls/{call['id']}/join").json["room_token"],
                               VIDEO_SECRET, **decode)
        admin = {"jitsi": lambda c: c["context"]["user"]["moderator"], "livekit": lambda c: c["video"]["roomAdmin"],
                 "simulated": lambda c: c["moderator"]}[name]
        assert admin(moderator)
    finally:
        close_database(db)


def test_token_lifetime_is_capped(tmp_path):
    provider = make_provider("livekit", "key", VIDEO_SECRET, "https://rooms.example.org")
    from services.video import rooms
    from services.video.rules import Rules
    from shared.internal_auth import Caller

    now = clock.now().replace(microsecond=0)
    call = VideoCall(id=1, status="booked", booked_start=now, booked_end=now + dt.timedelta(hours=4),
                     room_name="support-room", requester_email="a@example.com", requester_name="A")
    room = rooms.room_pass(call, Caller(kind="user", user_id=1, role="customer"), provider, Rules(),
                           margin=dt.timedelta(minutes=15), max_lifetime=dt.timedelta(hours=2))
    assert room.expires_at == now + dt.timedelta(hours=2)


def test_an_unknown_provider_fails_at_start():
    with pytest.raises(ValueError, match="VIDEO_PROVIDER"):
        make_provider("zoom", "id", "secret", "https://example.org")
