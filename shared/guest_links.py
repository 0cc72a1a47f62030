"""Guest access links: `{PUBLIC_URL}/support/tickets/{number}?t={token}`.

The token is signed for this purpose alone (its own salt), binds the ticket and the
guest's email, and is valid for 30 days. Notifications mints a fresh one for each
update email; the tickets service checks it. Both read `GUEST_LINK_SECRET`.
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from shared import clock

SALT = "guest-ticket-link.v1"
LIFETIME = dt.timedelta(days=30)


class LinkInvalid(Exception):
    """The signature is wrong, or the token is for another ticket."""


class LinkExpired(Exception):
    """The link is older than 30 days."""


class _ClockSigner(TimestampSigner):
    # Signing time comes from the injectable clock, so tests can move time.
    def get_timestamp(self) -> int:
        return int(clock.now().replace(tzinfo=dt.UTC).timestamp())


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT, signer=_ClockSigner)


def sign_ticket_link(number: str, email: str, secret: str) -> str:
    # A nonce makes every link its own, even two signed within the timestamp's second.
    return _serializer(secret).dumps({"n": number, "e": email.lower(), "r": secrets.token_urlsafe(6)})


def verify_ticket_link(token: str, number: str, secret: str) -> str:
    """The email the link is bound to, if the token is good for this ticket."""
    serializer = _serializer(secret)
    try:
        payload, signed_at = serializer.loads(token, return_timestamp=True)
    except SignatureExpired as exc:  # not raised without max_age; kept for clarity
        raise LinkExpired() from exc
    except BadSignature as exc:
        raise LinkInvalid() from exc
    if not isinstance(payload, dict) or not hmac.compare_digest(str(payload.get("n", "")), number):
        raise LinkInvalid()
    if clock.now() - signed_at.astimezone(dt.UTC).replace(tzinfo=None) > LIFETIME:
        raise LinkExpired()
    return str(payload["e"])


def ticket_link(public_url: str, number: str, email: str, secret: str) -> str:
    return f"{public_url.rstrip('/')}/support/tickets/{number}?t={sign_ticket_link(number, email, secret)}"
