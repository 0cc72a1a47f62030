"""One-time email codes (guest ticket access, logged-out video joining): the rules in one place.

6 random digits, valid 10 minutes, single use, stored only as a keyed hash and
compared in constant time; 5 wrong tries lock verification for 15 minutes; at
most 1 send a minute and 5 an hour per subject (a ticket, or an email's calls).
Each service keeps its own table; this module holds the rules and the checks.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from shared import clock
from shared.errors import ApiError

CODE_DIGITS = 6
CODE_LIFETIME = dt.timedelta(minutes=10)
MAX_WRONG_TRIES = 5
LOCK_DURATION = dt.timedelta(minutes=15)
SENDS_PER_MINUTE = 1
SENDS_PER_HOUR = 5


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(code: str, subject: str, pepper: str) -> str:
    """A keyed hash bound to its subject: a leaked table reveals no code and cannot be replayed elsewhere."""
    return hmac.new(pepper.encode(), f"{subject}:{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(code: str, stored_hash: str, subject: str, pepper: str) -> bool:
    candidate = hash_code(code.strip(), subject, pepper) if code else ""
    return hmac.compare_digest(candidate, stored_hash)


@dataclass(frozen=True)
class SendWindow:
    """When codes were last sent for a subject, to enforce 1 a minute and 5 an hour."""

    sent_at: list[dt.datetime]

    def check(self, now: dt.datetime | None = None) -> None:
        now = now or clock.now()
        last_minute = [t for t in self.sent_at if now - t < dt.timedelta(minutes=1)]
        last_hour = [t for t in self.sent_at if now - t < dt.timedelta(hours=1)]
        if len(last_minute) >= SENDS_PER_MINUTE:
            retry = 60 - int((now - max(last_minute)).total_seconds())
            raise ApiError(429, "code_recently_sent", "A code was sent less than a minute ago; please wait.",
                           {"retry_after": max(retry, 1)}, {"Retry-After": str(max(retry, 1))})
        if len(last_hour) >= SENDS_PER_HOUR:
            retry = 3600 - int((now - min(last_hour)).total_seconds())
            raise ApiError(429, "too_many_codes", "Too many codes were sent in the last hour; please wait.",
                           {"retry_after": max(retry, 1)}, {"Retry-After": str(max(retry, 1))})


def check_not_locked(locked_until: dt.datetime | None, now: dt.datetime | None = None) -> None:
    now = now or clock.now()
    if locked_until is not None and locked_until > now:
        retry = int((locked_until - now).total_seconds()) + 1
        raise ApiError(429, "verification_locked",
                       "Too many wrong codes; verification is locked for 15 minutes.",
                       {"retry_after": retry}, {"Retry-After": str(retry)})


def wrong_code_error(attempts_left: int) -> ApiError:
    return ApiError(400, "invalid_code", "The code is wrong or has expired.", {"attempts_left": attempts_left})
