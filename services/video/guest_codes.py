"""Logged-out joining: an email code proves control of the address its calls were booked for.

The rules are `shared.otp`'s (6 digits, 10 minutes, single use, keyed hash compared
in constant time, 1 send a minute and 5 an hour), with one difference: the fifth wrong
try spends the code instead of locking the address. Anyone may type an email, so a lock
on the address would let a stranger shut its owner out; a spent code only means that the
owner asks for a fresh one, which works at once.

Asking for a code, or trying one, reveals nothing: only an address with proposed or
booked calls is sent one, and every answer is the same either way (an address without
calls gets a code that no one receives).
"""
from __future__ import annotations

import datetime as dt
import logging

from services.video.models import OPEN_STATUSES, GuestVerification, VerificationCode, VideoCall, db
from shared import clock, otp
from shared.db import for_update
from shared.errors import ApiError
from shared.events import EventType

log = logging.getLogger(__name__)

PURPOSE = "video_calls"
_NO_HASH = "0" * 64


def normalize(email: str) -> str:
    return email.strip().lower()


def subject(email: str) -> str:
    return f"{PURPOSE}:{email}"


def _state(email: str) -> GuestVerification:
    """The address's row, locked until the transaction ends (tries on its codes count one by one)."""
    GuestVerification.insert(email=email).on_conflict_ignore().execute()
    return for_update(GuestVerification.select().where(GuestVerification.email == email), db.obj,
                      skip_locked=False).get()


def request_code(outbox, email: str, pepper: str) -> bool:
    """Send a code if the address has open calls and may have one now; True if one was sent."""
    email = normalize(email)
    latest = (VideoCall.select().where((VideoCall.requester_email == email) & VideoCall.status.in_(OPEN_STATUSES))
              .order_by(VideoCall.id.desc()).first())
    _state(email)
    now = clock.now()
    recent = VerificationCode.select(VerificationCode.created_at).where(
        (VerificationCode.email == email) & (VerificationCode.created_at > now - dt.timedelta(hours=1)))
    try:
        otp.SendWindow([row.created_at for row in recent]).check(now)
    except ApiError as exc:
        # The answer stays 202: a 429 here would tell a stranger that the address has calls.
        log.info("video code not sent: send limit", extra={"reason": exc.code})
        return False
    if latest is None:
        # A code that is sent to no one and matches nothing: tries on an address without calls
        # count and answer exactly as on one with calls, so they tell a stranger nothing either.
        VerificationCode.create(email=email, code_hash=_NO_HASH, created_at=now, expires_at=now + otp.CODE_LIFETIME)
        return False
    code = otp.new_code()
    VerificationCode.create(email=email, code_hash=otp.hash_code(code, subject(email), pepper), created_at=now,
                            expires_at=now + otp.CODE_LIFETIME)
    outbox.add(EventType.GUEST_VERIFICATION_REQUESTED,
               {"purpose": PURPOSE, "address": email, "code": code, "locale": latest.requester_locale})
    return True


def verify_code(email: str, code: str, pepper: str) -> ApiError | None:
    """Check a code against the newest one sent; None when it is right.

    A wrong code counts against that code: the fifth spends it. Returns the error
    instead of raising it, so that the caller commits the counted try before answering.
    """
    email = normalize(email)
    _state(email)
    now = clock.now()
    newest = (VerificationCode.select().where(VerificationCode.email == email)
              .order_by(VerificationCode.created_at.desc(), VerificationCode.id.desc()).first())
    usable = (newest is not None and newest.used_at is None and newest.expires_at > now
              and newest.wrong_tries < otp.MAX_WRONG_TRIES)
    matches = otp.code_matches(code, newest.code_hash if usable else _NO_HASH, subject(email), pepper)
    if usable and matches:
        newest.used_at = now
        newest.save()
        return None
    if not usable:
        return spent_code_error()
    newest.wrong_tries += 1
    newest.save()
    attempts_left = otp.MAX_WRONG_TRIES - newest.wrong_tries
    if attempts_left == 0:
        log.warning("video code spent by wrong tries")
        return spent_code_error()
    return otp.wrong_code_error(attempts_left)


def spent_code_error() -> ApiError:
    """No code that may still be tried: none sent, expired, used, or spent by wrong tries."""
    return ApiError(400, "invalid_code", "This code no longer works; request a new code.", {"attempts_left": 0})
