"""Internal tokens: short-lived JWTs from the gateway that name the caller.

Audience is the receiving service, issuer the signer (the caller says which: the
services' settings name the one they accept as `INTERNAL_TOKEN_ISSUER`); lifetime 60 s.
Every service refuses a request without a valid one, its health endpoints aside.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from shared import clock
from shared.errors import ApiError

LIFETIME = dt.timedelta(seconds=60)
ALGORITHM = "HS256"


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who is asking: a logged-in user, or a guest scoped to one ticket or one email's calls."""

    kind: str  # "user" | "guest" | "service"
    user_id: int | None = None
    role: str | None = None  # customer | agent
    email: str | None = None
    name: str | None = None
    locale: str | None = None
    tier: str | None = None
    department: str | None = None
    parent_id: int | None = None
    scope: dict = dataclasses.field(default_factory=dict)
    roles: tuple = ()

    @property
    def is_agent(self) -> bool:
        return self.kind == "user" and self.role == "agent"

    @property
    def is_customer(self) -> bool:
        return self.kind == "user" and self.role == "customer"

    @property
    def is_guest(self) -> bool:
        return self.kind == "guest"

    def cache_key(self) -> tuple:
        """Equal for callers that would carry equal claims."""
        return tuple(tuple(sorted(self.scope.items())) if name == "scope" else getattr(self, name)
                     for name in _FIELDS)

    def claims(self) -> dict:
        # Field by field rather than dataclasses.asdict: this runs on every forwarded request.
        data = {name: getattr(self, name) for name in _FIELDS}
        data["roles"] = list(self.roles)
        data["scope"] = dict(self.scope)
        return {key: value for key, value in data.items() if value not in (None, {}, [])}

    @classmethod
    def from_claims(cls, claims: dict) -> Caller:
        values = {key: value for key, value in claims.items() if key in _FIELDS}
        values["roles"] = tuple(values.get("roles") or ())
        return cls(**values)


_FIELDS = tuple(field.name for field in dataclasses.fields(Caller))


def sign_internal_token(caller: Caller, audience: str, secret: str, issuer: str) -> str:
    issued = clock.now().replace(tzinfo=dt.UTC)
    payload = {
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "exp": issued + LIFETIME,
        "caller": caller.claims(),
    }
    import jwt  # here: a worker process that names callers but signs nothing loads no PyJWT, no cryptography

    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify_internal_token(token: str | None, audience: str, secret: str,
                          previous_secret: str | None = None, *, issuer: str) -> Caller:
    if not token:
        raise ApiError(401, "not_authenticated", "An internal token is required.")
    cache_key = (token, audience, secret, previous_secret, issuer)
    payload = _VERIFIED.get(cache_key)
    if payload is None:
        payload = _verified_payload(token, audience, secret, previous_secret, issuer)
        if len(_VERIFIED) >= VERIFIED_CACHE_SIZE:
            _VERIFIED.clear()
        _VERIFIED[cache_key] = payload
    # Expiry is checked against the injectable clock, not the wall clock, at every use.
    now = clock.now().replace(tzinfo=dt.UTC).timestamp()
    if payload["exp"] < now - 5 or payload["iat"] > now + 30:
        raise ApiError(401, "not_authenticated", "The internal token has expired.")
    return Caller.from_claims(payload.get("caller") or {})


# Tokens whose signature and claims were checked, with their claims: a caller's token is signed once for half its
# life (internal_token above) and sent with every request, and checking it again cost a service about 4% of a
# ticket's creation. Only the expiry is checked again at each use. Emptied when full.
VERIFIED_CACHE_SIZE = 1024
_VERIFIED: dict[tuple, dict] = {}


def _verified_payload(token: str, audience: str, secret: str, previous_secret: str | None, issuer: str) -> dict:
    import jwt

    payload = None
    for key in (secret, previous_secret):
        if not key:
            continue
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=issuer,
                options={"require": ["exp", "aud", "iss", "iat"], "verify_exp": False, "verify_iat": False},
            )
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise ApiError(401, "not_authenticated", "The internal token is not valid.") from exc
    if payload is None:
        raise ApiError(401, "not_authenticated", "The internal token is not valid.")
    return payload
