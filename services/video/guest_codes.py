"""Logged-out joining: an email code proves control of the address its calls were booked for.

The rules are `shared.otp`'s (6 digits, 10 minutes, single use, keyed hash compared
in constant time, 5 wrong tries lock for 15 minutes, 1 send a minute and 5 an hour).
Asking for a code reveals nothing: only an address with proposed or booked calls gets
one, and the answer is the same either way.
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
    """The address's tries and lock, its row locked until the transaction ends."""
    GuestVerification.insert(email=email).on_conflict_ignore().execute()
    return for_update(GuestVerification.select().where(GuestVerification.email == email), db.obj,
                      skip_locked=False).get()


def request_code(outbox, email: str, pepper: str) -> bool:
    """Send a code if the address has open calls and may have one now; True if one was sent."""
    email = normalize(email)
    latest = (VideoCall.select().where((VideoCall.requester_email == email) & VideoCall.status.in_(OPEN_STATUSES))
              .order_by(VideoCall.id.desc()).first())
    if latest is None:
        return False
    state = _state(email)
    now = clock.now()
    if state.locked_until is not None and state.locked_until > now:
        log.info("video code not sent: verification locked")
        return False
    recent = VerificationCode.select(VerificationCode.created_at).where(
        (VerificationCode.email == email) & (VerificationCode.created_at > now - dt.timedelta(hours=1)))
    try:
        otp.SendWindow([row.created_at for row in recent]).check(now)
    except ApiError as exc:
        # The answer stays 202: a 429 here would tell a stranger that the address has calls.
        log.info("video code not sent: send limit", extra={"reason": exc.code})
        return False
    code = otp.new_code()
    VerificationCode.create(email=email, code_hash=otp.hash_code(code, subject(email), pepper), created_at=now,
                            expires_at=now + otp.CODE_LIFETIME)
    outbox.add(EventType.GUEST_VERIFICATION_REQUESTED,
               {"purpose": PURPOSE, "address": email, "code": code, "locale": latest.requester_locale})
    return True


def verify_code(email: str, code: str, pepper: str) -> ApiError | None:
    """Check a code against the newest one sent; None when it is right.

    Returns the error instead of raising it, so that the caller commits the
    counted try before answering.
    """
    email = normalize(email)
    state = _state(email)
    now = clock.now()
    if state.locked_until is not None:
        if state.locked_until > now:
            try:
                otp.check_not_locked(state.locked_until, now)
            except ApiError as locked:
                return locked
        state.locked_until, state.wrong_tries = None, 0
    newest = (VerificationCode.select().where(VerificationCode.email == email)
              .order_by(VerificationCode.created_at.desc(), VerificationCode.id.desc()).first())
    usable = newest is not None and newest.used_at is None and newest.expires_at > now
    matches = otp.code_matches(code, newest.code_hash if usable else _NO_HASH, subject(email), pepper)
    if usable and matches:
        newest.used_at = now
        newest.save()
        state.wrong_tries = 0
        state.save()
        return None
    state.wrong_tries += 1
    attempts_left = max(otp.MAX_WRONG_TRIES - state.wrong_tries, 0)
    if attempts_left == 0:
        state.locked_until, state.wrong_tries = now + otp.LOCK_DURATION, 0
        log.warning("video code verification locked")
    state.save()
    return otp.wrong_code_error(attempts_left)
