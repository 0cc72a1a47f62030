"""Who is calling: a session (cookie or bearer), a guest token, or nobody.

The web session cookie is HttpOnly and SameSite=Lax; a request that rides on the
cookie must also send the session's CSRF token in `X-CSRF-Token` on unsafe
methods. Bearer tokens (the app, guests) carry no ambient authority and need none.
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

import jwt
from flask import current_app, g, request

from services.gateway import accounts, mfa
from services.gateway.models import Session
from shared import clock
from shared.errors import ApiError
from shared.internal_auth import Caller

SESSION_COOKIE = "session"
CSRF_COOKIE = "csrf_token"
GUEST_COOKIE = "guest_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
GUEST_TOKEN_PREFIX = "g."


@dataclass
class Identity:
    caller: Caller | None
    session: Session | None = None
    via_cookie: bool = False


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip() or None
    return None


def sign_guest_token(email: str, scope: dict, ttl: dt.timedelta) -> str:
    issued = clock.now().replace(tzinfo=dt.UTC)
    payload = {"typ": "guest", "email": email, "scope": scope, "iat": issued, "exp": issued + ttl}
    return GUEST_TOKEN_PREFIX + jwt.encode(payload, current_app.config["GUEST_TOKEN_SECRET"], algorithm="HS256")


def verify_guest_token(token: str) -> Caller:
    try:
        payload = jwt.decode(token[len(GUEST_TOKEN_PREFIX):], current_app.config["GUEST_TOKEN_SECRET"],
                             algorithms=["HS256"], options={"require": ["exp", "iat"], "verify_exp": False, "verify_iat": False})
    except jwt.PyJWTError:
        raise ApiError(401, "invalid_guest_token", "The guest session is not valid.") from None
    if payload.get("typ") != "guest" or payload["exp"] <= clock.now().replace(tzinfo=dt.UTC).timestamp():
        raise ApiError(401, "guest_session_expired", "The guest session has expired; verify your email again.")
    return Caller(kind="guest", email=payload["email"], scope=dict(payload.get("scope") or {}),
                  name=payload["email"].split("@")[0])


def identity_for_bearer(token: str) -> Identity:
    """The caller an `Authorization: Bearer` token names: a guest token or an app session."""
    if token.startswith(GUEST_TOKEN_PREFIX):
        return Identity(caller=verify_guest_token(token))
    session = accounts.session_for_token(token)
    if session is None:
        raise ApiError(401, "not_authenticated", "The access token is not valid or has expired.")
    return Identity(caller=accounts.caller_for(session.account), session=session)


def resolve_identity() -> Identity:
    """Find the caller once per request (cached on `g`)."""
    if "identity" in g:
        return g.identity
    identity = Identity(caller=None)
    token = bearer_token()
    if token:
        identity = identity_for_bearer(token)
    else:
        session = accounts.session_for_token(request.cookies.get(SESSION_COOKIE))
        if session is not None:
            identity = Identity(caller=accounts.caller_for(session.account), session=session, via_cookie=True)
        elif request.cookies.get(GUEST_COOKIE, "").startswith(GUEST_TOKEN_PREFIX):
            identity = Identity(caller=verify_guest_token(request.cookies[GUEST_COOKIE]), via_cookie=True)
    if identity.via_cookie and request.method not in SAFE_METHODS:
        check_csrf(identity)
    g.identity = identity
    return identity


def check_csrf(identity: Identity) -> None:
    presented = request.headers.get(CSRF_HEADER)
    if identity.session is not None:
        ok = accounts.csrf_matches(identity.session, presented)
    else:
        # Guest cookie sessions use the double-submit cookie.
        cookie = request.cookies.get(CSRF_COOKIE)
        ok = bool(cookie) and bool(presented) and hmac.compare_digest(cookie, presented)
    if not ok:
        raise ApiError(403, "csrf_failed", "The CSRF token is missing or wrong; reload the page and try again.")


def require_user() -> Caller:
    caller = resolve_identity().caller
    if caller is None or caller.kind != "user":
        raise ApiError(401, "not_authenticated", "Log in first.")
    return caller


def require_staff() -> Caller:
    """The logged-in agent, for the gateway's own staff endpoints: 401 for nobody, 403 `forbidden`
    for others, 403 `mfa_enrollment_required` while the agent's session has not passed 2FA
    (`AGENT_MFA_REQUIRED`). Roles beyond "agent" (supervisor, editor) are the caller's to check."""
    who = resolve_identity()
    caller = who.caller
    if caller is None:
        raise ApiError(401, "not_authenticated", "Log in first.")
    if not caller.is_agent:  # a guest too, as on the agent routes the gateway forwards
        raise ApiError(403, "forbidden", "This is for support agents.")
    mfa.check_agent_enrolled(caller, who.session)
    return caller


def set_session_cookies(response, token: str, session: Session) -> None:
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    max_age = current_app.config["SESSION_TTL_SECONDS"]
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="Lax", secure=secure,
                        path="/")
    response.set_cookie(CSRF_COOKIE, session.csrf_token, max_age=max_age, httponly=False, samesite="Lax",
                        secure=secure, path="/")


def clear_session_cookies(response) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE, GUEST_COOKIE):
        response.delete_cookie(name, path="/")


GRANT_KEY = "_guest_grant"


def apply_guest_grant(body: dict):
    """Turn a service's `_guest_grant` into a guest token the gateway signs.

    A service that has verified a guest (a code for a ticket, for video calls, or a
    chat) answers with `"_guest_grant": {"email", "scope", "ttl_seconds", "field"?, "cookie"?}`;
    the guest gets the token in `field` (`guest_token` by default, with `expires_in`)
    and, for web pages, as an HttpOnly cookie with a double-submit CSRF cookie.
    Returns the new body and the cookies to set.
    """
    grant = body.pop(GRANT_KEY)
    ttl = int(grant["ttl_seconds"])
    token = sign_guest_token(grant["email"], dict(grant["scope"]), dt.timedelta(seconds=ttl))
    field = grant.get("field", "guest_token")
    body[field] = token
    if field == "guest_token":
        body["expires_in"] = ttl
    cookies = []
    if grant.get("cookie", field == "guest_token"):
        secure = current_app.config["SESSION_COOKIE_SECURE"]
        cookies.append((GUEST_COOKIE, token, {"max_age": ttl, "httponly": True, "samesite": "Lax",
                                              "secure": secure, "path": "/"}))
        # A logged-in browser keeps its session's CSRF token: the guest cookie's double-submit
        # check accepts any matching pair, the session's check only its own token.
        if not request.cookies.get(CSRF_COOKIE):
            cookies.append((CSRF_COOKIE, secrets.token_urlsafe(24),
                            {"max_age": ttl, "httponly": False, "samesite": "Lax", "secure": secure, "path": "/"}))
    return body, cookies
