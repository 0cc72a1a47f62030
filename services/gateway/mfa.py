"""Two-factor sign-in: TOTP (RFC 6238: 30-second steps, 6 digits) with ten single-use
recovery codes, the login's second step (the `mfa_token`), and the rule that agents
sign in with a second factor before any staff work (`AGENT_MFA_REQUIRED`).

TOTP secrets are stored encrypted with a key derived from `MFA_SECRET_KEY`; recovery
codes and `mfa_token`s only as hashes. None of them, nor any code typed, is logged.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import re
import secrets
from dataclasses import dataclass

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from services.gateway.accounts import hash_token
from services.gateway.models import Account, MfaChallenge, RecoveryCode, Session
from shared import clock
from shared.errors import ApiError
from shared.internal_auth import Caller

PERIOD = 30
DIGITS = 6
DRIFT_STEPS = 1  # a code of the step before or after the server's is still good (clocks drift)
RECOVERY_CODE_COUNT = 10
MAX_ATTEMPTS = 5  # wrong codes that end an `mfa_token`
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
TOTP_CODE = re.compile(r"^[0-9]{6}$")


# -- keys --------------------------------------------------------------------------------------

def _derived_key(purpose: str) -> bytes:
    return hmac.new(current_app.config["MFA_SECRET_KEY"].encode(), purpose.encode(), hashlib.sha256).digest()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived_key("totp-secret-encryption")))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        # Only a changed MFA_SECRET_KEY does this: the account cannot pass TOTP until it enrols again.
        raise ApiError(409, "mfa_unavailable", "Two-factor sign-in cannot be checked right now; contact support.") \
            from None


# -- TOTP ----------------------------------------------------------------------------------------

def current_step() -> int:
    return int(clock.now().replace(tzinfo=dt.UTC).timestamp()) // PERIOD


def matching_step(secret: str, code: str, after_step: int | None) -> int | None:
    """The time step (now, or one either side) whose code `code` is, if later than `after_step`."""
    if not TOTP_CODE.match(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    now = current_step()
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        # Every candidate is compared (no early exit), so timing tells nothing of which matched.
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    if found is None or (after_step is not None and found <= after_step):
        return None
    return found


def accept_totp(account: Account, code: str) -> bool:
    """A current code of the account's authenticator, never one already accepted (no replay,
    even by two requests at once: the step is claimed by a conditional UPDATE)."""
    if not account.totp_secret:
        return False
    step = matching_step(unseal(account.totp_secret), code, account.totp_last_step)
    if step is None:
        return False
    claimed = (Account.update(totp_last_step=step)
               .where((Account.id == account.id)
                      & (Account.totp_last_step.is_null() | (Account.totp_last_step < step)))
               .execute())
    account.totp_last_step = step
    return claimed == 1


def enrolment_offer(account: Account) -> dict:
    """A new secret, pending until confirmed (a second call replaces the first)."""
    if account.mfa_enabled:
        raise ApiError(409, "mfa_already_enabled", "Two-factor sign-in is already on for this account.")
    secret = pyotp.random_base32()
    account.totp_pending_secret = seal(secret)
    account.save()
    issuer = current_app.config["MFA_ISSUER"]
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).provisioning_uri(name=account.email,
                                                                              issuer_name=issuer)
    import segno  # only here: the QR code library is not loaded by every gateway process

    svg = io.BytesIO()
    segno.make(uri, error="m").save(svg, kind="svg", xmldecl=False, scale=4, border=4,
                                    title=f"{issuer} two-factor sign-in")
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": svg.getvalue().decode()}


def confirm_enrolment(account: Account, session: Session | None, code: str) -> list[str]:
    """Turn 2FA on with a code of the pending secret; the new recovery codes, to be shown once.
    The session that confirmed counts as having passed the second factor."""
    if account.mfa_enabled:
        raise ApiError(409, "mfa_already_enabled", "Two-factor sign-in is already on for this account.")
    if not account.totp_pending_secret:
        raise ApiError(409, "mfa_not_started", "Start setting up two-factor sign-in first.")
    step = matching_step(unseal(account.totp_pending_secret), normalize_code(code), None)
    if step is None:
        raise ApiError(400, "invalid_code", "That code is not right; check your authenticator's clock and try again.",
                       {"fields": {"code": ["Not the current code."]}})
    now = clock.now()
    account.totp_secret, account.totp_pending_secret = account.totp_pending_secret, None
    account.totp_enabled_at, account.totp_last_step = now, step
    account.save()
    if session is not None:
        mark_session_passed(session, now)
    return new_recovery_codes(account)


def turn_off(account: Account, code: str) -> None:
    """Turn 2FA off with a current code or a recovery code (agents may not while it is required)."""
    if account.role == "agent" and current_app.config["AGENT_MFA_REQUIRED"]:
        raise ApiError(403, "mfa_required_for_staff", "Support staff must keep two-factor sign-in on.")
    if not account.mfa_enabled:
        raise ApiError(409, "mfa_not_enabled", "Two-factor sign-in is not on for this account.")
    if check_second_factor(account, code) is None:
        raise ApiError(400, "invalid_code", "That code is not right.", {"fields": {"code": ["Not a valid code."]}})
    account.totp_secret = account.totp_pending_secret = account.totp_enabled_at = account.totp_last_step = None
    account.save()
    RecoveryCode.delete().where(RecoveryCode.account == account).execute()


def reset(account: Account) -> None:
    """Ops' way back in for an account that lost its authenticator and its recovery codes (or
    after a change of `MFA_SECRET_KEY`): 2FA off, its pending logins and its sessions ended."""
    account.totp_secret = account.totp_pending_secret = account.totp_enabled_at = account.totp_last_step = None
    account.save()
    RecoveryCode.delete().where(RecoveryCode.account == account).execute()
    MfaChallenge.delete().where(MfaChallenge.account == account).execute()
    Session.update(revoked_at=clock.now()).where((Session.account == account) & Session.revoked_at.is_null()).execute()


def mark_session_passed(session: Session, at: dt.datetime) -> None:
    Session.update(mfa_at=at).where(Session.id == session.id).execute()
    session.mfa_at = at  # the instance the session cache holds


# -- recovery codes ------------------------------------------------------------------------------

def normalize_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _recovery_hash(account: Account, code: str) -> str:
    # High-entropy random codes: a keyed hash is enough (no slow hash needed), and the key
    # keeps a copy of the table from being checked offline.
    return hmac.new(_derived_key("recovery-code"), f"{account.id}:{code}".encode(), hashlib.sha256).hexdigest()


def new_recovery_codes(account: Account) -> list[str]:
    """Ten fresh codes (`xxxxx-xxxxx`, about 49 bits each), replacing any earlier ones."""
    RecoveryCode.delete().where(RecoveryCode.account == account).execute()
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        if raw not in codes:
            codes.append(raw)
    RecoveryCode.insert_many([{"account": account.id, "code_hash": _recovery_hash(account, raw)}
                              for raw in codes]).execute()
    return [f"{raw[:5]}-{raw[5:]}" for raw in codes]


def spend_recovery_code(account: Account, code: str) -> bool:
    if not re.fullmatch(f"[{RECOVERY_ALPHABET}]{{10}}", code):
        return False
    spent = (RecoveryCode.update(used_at=clock.now())
             .where((RecoveryCode.account == account.id) & (RecoveryCode.code_hash == _recovery_hash(account, code))
                    & RecoveryCode.used_at.is_null())
             .execute())
    return spent == 1


def check_second_factor(account: Account, code: str) -> str | None:
    """`totp` or `recovery_code` when `code` passes (a recovery code is spent), else None."""
    code = normalize_code(code)
    if TOTP_CODE.match(code):
        return "totp" if accept_totp(account, code) else None
    return "recovery_code" if spend_recovery_code(account, code) else None


# -- the login's second step -----------------------------------------------------------------------

def start_challenge(account: Account) -> tuple[str, int]:
    """An `mfa_token` for an account whose password was right: (token, lifetime in seconds)."""
    ttl = current_app.config["MFA_TOKEN_TTL_SECONDS"]
    now = clock.now()
    MfaChallenge.delete().where((MfaChallenge.account == account)
                                & (MfaChallenge.expires_at < now - dt.timedelta(days=1))).execute()
    token = secrets.token_urlsafe(32)
    MfaChallenge.create(token_hash=hash_token(token), account=account, created_at=now,
                        expires_at=now + dt.timedelta(seconds=ttl))
    return token, ttl


@dataclass
class SecondStep:
    account: Account
    method: str | None  # totp | recovery_code; None: the code was wrong
    attempts_left: int


def answer_challenge(token: str, code: str) -> SecondStep:
    """Check a code against an `mfa_token`. Each try is counted before the code is looked at
    (a conditional UPDATE, so parallel guesses cannot share a try); a right code spends the
    token, the fifth wrong one ends it. Call in a transaction that commits either way."""
    token_hash = hash_token(token)
    now = clock.now()
    counted = (MfaChallenge.update(attempts=MfaChallenge.attempts + 1)
               .where((MfaChallenge.token_hash == token_hash) & MfaChallenge.ended_at.is_null()
                      & (MfaChallenge.expires_at > now) & (MfaChallenge.attempts < MAX_ATTEMPTS))
               .execute())
    challenge = (MfaChallenge.select(MfaChallenge, Account).join(Account)
                 .where(MfaChallenge.token_hash == token_hash).first())
    if challenge is None:
        raise ApiError(401, "invalid_mfa_token", "This sign-in attempt is not known; log in again.")
    if not counted:
        raise ApiError(401, "mfa_token_expired",
                       "This sign-in attempt has ended (too many wrong codes, or it took too long); log in again.")
    account = challenge.account
    method = check_second_factor(account, code) if account.mfa_enabled else None
    attempts_left = MAX_ATTEMPTS - challenge.attempts
    if method is not None or attempts_left <= 0:
        ended = (MfaChallenge.update(ended_at=now)
                 .where((MfaChallenge.id == challenge.id) & MfaChallenge.ended_at.is_null()).execute())
        if method is not None and not ended:  # a parallel right answer spent it first
            raise ApiError(401, "mfa_token_expired", "This sign-in attempt has already been used; log in again.")
    return SecondStep(account, method, attempts_left)


# -- agents must enrol ---------------------------------------------------------------------------

def enrollment_required(caller: Caller | None, session: Session | None) -> bool:
    """Is this an agent who may not do staff work yet: `AGENT_MFA_REQUIRED` and a session that
    has not passed a second factor? Free for everyone else: the session comes with the caller."""
    if caller is None or not caller.is_agent or not current_app.config["AGENT_MFA_REQUIRED"]:
        return False
    if session is None:
        return True
    if session.mfa_at is not None:
        return False
    # Sessions are cached for a few seconds per process: one that was confirmed through another
    # process reads as not yet passed. Only a refusal pays for looking again.
    fresh = Session.select(Session.mfa_at).where(Session.id == session.id).scalar()
    if fresh is not None:
        session.mfa_at = fresh
        return False
    return True


def check_agent_enrolled(caller: Caller | None, session: Session | None) -> None:
    """403 `mfa_enrollment_required` for an agent whose session has not passed 2FA while
    `AGENT_MFA_REQUIRED` (every staff route calls this, directly or through `identity.require_staff`)."""
    if enrollment_required(caller, session):
        raise ApiError(403, "mfa_enrollment_required",
                       "Turn on two-factor sign-in (and sign in with it) before working on tickets: "
                       "open /account/security.")
