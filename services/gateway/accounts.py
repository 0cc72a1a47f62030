"""Accounts and sessions: argon2 password hashes, server-side sessions whose token
is both the web cookie and the app's bearer token (stored only as a hash)."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.gateway.models import Account, Device, Session
from shared import clock
from shared.errors import ApiError
from shared.events import EventType
from shared.internal_auth import Caller

_hasher: PasswordHasher | None = None
_DUMMY_HASH: str | None = None


def configure_hasher(memory_kib: int, time_cost: int) -> None:
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost)
    _DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hasher() -> PasswordHasher:
    if _hasher is None:
        configure_hasher(65536, 3)
    return _hasher


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_account(outbox, *, email: str, password: str, locale: str = "en", region: str | None = None,
                   referral_code: str | None = None, parent: Account | None = None, role: str = "customer",
                   tier: str | None = None, department: str | None = None,
                   display_name: str | None = None) -> Account:
    email = normalize_email(email)
    if Account.select().where(Account.email == email).exists():
        raise ApiError(409, "email_taken", "An account with this email already exists.",
                       {"fields": {"email": ["Already registered."]}})
    account = Account.create(
        email=email, password_hash=hasher().hash(password), role=role, tier=tier, department=department,
        locale=locale or "en", region=(region or (parent.region if parent else None)),
        referral_code=referral_code, parent=parent, display_name=display_name,
    )
    if role == "customer":
        outbox.add(EventType.USER_REGISTERED, {
            "user_id": account.id, "email": account.email, "locale": account.locale, "region": account.region,
            "referral_code": referral_code, "parent_id": parent.id if parent else None,
            "registered_at": clock.isoformat(account.created_at),
        })
    return account


def publish_agent_profile(outbox, account: Account) -> None:
    """`agent.profile_changed.v1`: the directory the other services keep of the agents (who they are,
    their tier, department and roles). Sent whenever an agent account is made or changed."""
    outbox.add(EventType.AGENT_PROFILE_CHANGED, {
        "user_id": account.id, "email": account.email, "name": account.display_name or account.email.split("@")[0],
        "tier": account.tier or "standard", "department": account.department,
        "roles": [role for role in (account.roles or "").split(",") if role], "locale": account.locale,
        "active": account.role == "agent",
    })


def authenticate(email: str, password: str) -> Account:
    account = Account.get_or_none(Account.email == normalize_email(email))
    try:
        if account is None:
            # Same work as for a real account, so timing does not tell which emails exist.
            hasher().verify(_DUMMY_HASH, password)
            raise VerificationError()
        hasher().verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise ApiError(401, "invalid_credentials", "The email or password is not right.") from None
    if hasher().check_needs_rehash(account.password_hash):
        account.password_hash = hasher().hash(password)
        account.save()
    return account


def start_session(account: Account, ttl_seconds: int, *, mfa_passed: bool = False) -> tuple[str, Session]:
    """A new session; `mfa_passed` when the login passed a second factor (see mfa.py)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session = Session.create(token_hash=hash_token(token), account=account, csrf_token=secrets.token_urlsafe(24),
                             expires_at=now + dt.timedelta(seconds=ttl_seconds), mfa_at=now if mfa_passed else None)
    return token, session


# Validated sessions are remembered for a few seconds, so a busy client does not cost a
# query per request; a logout here forgets at once, other gateway processes within that time.
SESSION_CACHE_SECONDS = 5.0
_session_cache: dict[str, tuple[float, Session]] = {}


def session_for_token(token: str | None) -> Session | None:
    if not token or len(token) > 200:
        return None
    token_hash = hash_token(token)
    cached = _session_cache.get(token_hash)
    if cached is not None and time.monotonic() - cached[0] < SESSION_CACHE_SECONDS:
        session = cached[1]
    else:
        session = (Session.select(Session, Account).join(Account)
                   .where(Session.token_hash == token_hash).first())
        if session is not None:
            if len(_session_cache) > 50_000:
                _session_cache.clear()
            _session_cache[token_hash] = (time.monotonic(), session)
    if session is None or session.revoked_at is not None or session.expires_at <= clock.now():
        return None
    return session


def end_session(session: Session) -> None:
    _session_cache.pop(session.token_hash, None)
    session.revoked_at = clock.now()
    session.save()


def csrf_matches(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf_token, presented)


def caller_for(account: Account) -> Caller:
    name = account.display_name or account.email.split("@")[0]
    return Caller(kind="user", user_id=account.id, role=account.role, email=account.email, name=name,
                  locale=account.locale, tier=account.tier, department=account.department,
                  parent_id=account.parent_id, roles=tuple(r for r in (account.roles or "").split(",") if r))


def user_dict(account: Account) -> dict:
    data = {"id": account.id, "email": account.email, "locale": account.locale, "region": account.region,
            "role": account.role, "is_sub_account": account.parent_id is not None,
            "created_at": clock.isoformat(account.created_at), "mfa_enabled": account.mfa_enabled,
            "anti_phishing_code_set": bool(account.anti_phishing_code)}
    if account.role == "agent":
        data.update(tier=account.tier or "standard", department=account.department,
                    display_name=account.display_name,
                    roles=[role for role in (account.roles or "").split(",") if role])
    return data


def register_device(outbox, account: Account, platform: str, device_id: str) -> tuple[Device, bool]:
    """Record a device; the account's first one publishes `user.app_installed.v1`."""
    existing = Device.get_or_none((Device.account == account) & (Device.device_id == device_id))
    if existing is not None:
        return existing, False
    first = not Device.select().where(Device.account == account).exists()
    device = Device.create(account=account, platform=platform, device_id=device_id)
    if first:
        outbox.add(EventType.USER_APP_INSTALLED,
                   {"user_id": account.id, "platform": platform, "device_id": device_id},
                   occurred_at=device.created_at)
    return device, True


def set_anti_phishing_code(outbox, account: Account, code: str | None) -> None:
    """Store the account's anti-phishing code (None removes it) and tell the notifications
    service, which shows it in every email (`user.anti_phishing_code_changed.v1`; the
    outbox blanks that row once it is published: the code is a secret of the account)."""
    account.anti_phishing_code = code or None
    account.save()
    outbox.add(EventType.USER_ANTI_PHISHING_CODE_CHANGED, {"user_id": account.id, "code": account.anti_phishing_code})


def set_locale(outbox, account: Account, locale: str) -> None:
    """The account's language; a change tells the services that speak to the account
    (`user.profile_changed.v1`: notifications composes its inbox items and emails in it from then on)."""
    if account.locale == locale:
        return
    account.locale = locale
    account.save()
    outbox.add(EventType.USER_PROFILE_CHANGED, {"user_id": account.id, "locale": locale})
