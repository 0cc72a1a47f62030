"""The one injectable clock: every read of the time in the product goes through it.

Datetimes are naive UTC everywhere inside the product (the same in SQLite and
PostgreSQL); they gain their `Z` only when serialised.
"""
from __future__ import annotations

import datetime as dt
import threading

UTC = dt.UTC


class Clock:
    """The wall clock, shifted by an offset that tests may move."""

    def __init__(self) -> None:
        self._offset = dt.timedelta()
        self._frozen: dt.datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return dt.datetime.now(UTC).replace(tzinfo=None) + self._offset

    def advance(self, delta: dt.timedelta) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
            else:
                self._offset += delta

    def freeze(self, at: dt.datetime | None = None) -> None:
        current = self.now()
        with self._lock:
            self._frozen = to_naive_utc(at) if at is not None else current

    def reset(self) -> None:
        with self._lock:
            self._offset = dt.timedelta()
            self._frozen = None


clock = Clock()


def now() -> dt.datetime:
    return clock.now()


def to_naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def isoformat(value: dt.datetime | None) -> str | None:
    """UTC ISO 8601 with a `Z`, milliseconds kept."""
    if value is None:
        return None
    value = to_naive_utc(value)
    return value.isoformat(timespec="milliseconds") + "Z"


def parse_iso(text: str) -> dt.datetime:
    """Parse an ISO 8601 timestamp; a value without zone is taken as UTC."""
    return to_naive_utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
