"""Business calendars and the arithmetic of open time, for SLA due times.

Rules:
- A calendar's hours are wall-clock intervals in its time zone; "24:00" may end a day.
- Local times become UTC instants with zoneinfo. An ambiguous local time (the repeated
  hour when clocks go back) is read with fold=0, its first occurrence, so "02:00-03:00" on
  that night spans both copies of the hour. A nonexistent local time (the skipped hour
  when clocks go forward) is the instant the clocks jump, so an interval wholly inside the
  gap is empty and "02:00-04:00" opens at 03:00. Both keep the mapping monotonic.
- Zero seconds gives the start moved to the next open instant (the start itself when open).
- Open time is counted in real elapsed seconds, so a 24/7 day has 23 or 25 hours on DST days.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 3 * 366
_TIME = re.compile(r"^(\d{2}):(\d{2})$")
_SECOND = timedelta(seconds=1)

Span = tuple[datetime, datetime]


def _minutes(text: object, *, end: bool) -> int:
    match = _TIME.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"bad time {text!r}: expected HH:MM")
    hour, minute = int(match[1]), int(match[2])
    if end and (hour, minute) == (24, 0):
        return 24 * 60
    if hour > 23 or minute > 59:
        raise ValueError(f"bad time {text!r}: hours 00-23, minutes 00-59 (24:00 only as an end)")
    return hour * 60 + minute


def _zone(timezone: object) -> ZoneInfo:
    if isinstance(timezone, ZoneInfo):
        return timezone
    if not isinstance(timezone, str) or not timezone:
        raise ValueError(f"unknown time zone {timezone!r}")
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {timezone!r}") from error


@dataclass(frozen=True)
class Calendar:
    """Open hours per weekday in one time zone, with holidays (local dates) closed all day."""

    name: str
    timezone: ZoneInfo
    hours: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    _openings: tuple[tuple[tuple[int, int], ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("a calendar needs a name")
        object.__setattr__(self, "timezone", _zone(self.timezone))
        unknown = sorted(set(self.hours) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown weekday {unknown[0]!r}: expected one of {', '.join(WEEKDAYS)}")
        openings, hours = [], {}
        for day in WEEKDAYS:
            intervals = []
            for interval in self.hours.get(day, ()):
                if isinstance(interval, str) or len(interval) != 2:
                    raise ValueError(f"{day}: an interval is a pair of times, got {interval!r}")
                start, end = _minutes(interval[0], end=False), _minutes(interval[1], end=True)
                if end <= start:
                    raise ValueError(f"{day}: interval {interval[0]}-{interval[1]} ends before it starts")
                intervals.append((start, end, (interval[0], interval[1])))
            intervals.sort()
            for before, after in zip(intervals, intervals[1:], strict=False):
                if after[0] < before[1]:
                    raise ValueError(f"{day}: intervals {'-'.join(before[2])} and {'-'.join(after[2])} overlap")
            if intervals:
                hours[day] = tuple(text for _, _, text in intervals)
            openings.append(tuple((start, end) for start, end, _ in intervals))
        object.__setattr__(self, "hours", hours)
        for holiday in self.holidays:
            if not isinstance(holiday, date) or isinstance(holiday, datetime):
                raise ValueError(f"a holiday is a date, got {holiday!r}")
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "_openings", tuple(openings))

    @classmethod
    @functools.cache
    def always(cls) -> Calendar:
        """The 24/7 default: every day open from 00:00 to 24:00, no holidays (made once: it is frozen)."""
        return cls("always", ZoneInfo("UTC"), {day: [("00:00", "24:00")] for day in WEEKDAYS})

    @classmethod
    def from_dict(cls, data: Mapping) -> Calendar:
        """A calendar from the API's JSON shape; `ValueError` says what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("a calendar is an object")
        hours = data.get("hours", {})
        if not isinstance(hours, Mapping):
            raise ValueError("hours is an object of weekday: [[start, end], ...]")
        for day, intervals in hours.items():
            if not isinstance(intervals, list | tuple):
                raise ValueError(f"{day}: hours is a list of [start, end] pairs")
        holidays = data.get("holidays", [])
        if not isinstance(holidays, list | tuple):
            raise ValueError("holidays is a list of dates")
        dates = set()
        for holiday in holidays:
            try:
                dates.add(date.fromisoformat(holiday))
            except (TypeError, ValueError) as error:
                raise ValueError(f"bad holiday {holiday!r}: expected YYYY-MM-DD") from error
        return cls(data.get("name"), data.get("timezone"),
                   {day: [tuple(pair) if isinstance(pair, list | tuple) else pair for pair in intervals]
                    for day, intervals in hours.items()}, frozenset(dates))

    def to_dict(self) -> dict:
        """The API's JSON shape."""
        return {"name": self.name, "timezone": self.timezone.key,
                "hours": {day: [list(pair) for pair in pairs] for day, pairs in self.hours.items()},
                "holidays": sorted(day.isoformat() for day in self.holidays)}

    def local_to_utc(self, day: date, minutes: int) -> datetime:
        """The instant the wall clock shows `minutes` after midnight of `day` (rules above)."""
        wall = datetime(day.year, day.month, day.day) + timedelta(minutes=minutes)
        instant = wall.replace(tzinfo=self.timezone).astimezone(UTC)
        if instant.astimezone(self.timezone).replace(tzinfo=None) == wall:
            return instant
        # In a gap fold=1 reads the wall time with the offset after the jump and fold=0 with the
        # one before: the jump lies between the two instants; find its second.
        before = wall.replace(tzinfo=self.timezone, fold=1).astimezone(UTC)
        offset_before, after = before.astimezone(self.timezone).utcoffset(), instant
        while after - before > _SECOND:
            middle = before + (after - before) // 2
            if middle.astimezone(self.timezone).utcoffset() == offset_before:
                before = middle
            else:
                after = middle
        return after

    def open_spans(self, since: datetime, until: datetime | None = None) -> Iterator[Span]:
        """The open intervals (UTC) from `since`, clipped to [since, until), in order.

        Without `until` it walks at most MAX_DAYS days and then raises ValueError."""
        day = since.astimezone(self.timezone).date() - timedelta(days=1)
        for _ in range(MAX_DAYS):
            if day not in self.holidays:
                for start_minutes, end_minutes in self._openings[day.weekday()]:
                    start = max(self.local_to_utc(day, start_minutes), since)
                    end = self.local_to_utc(day, end_minutes)
                    if until is not None:
                        if start >= until:
                            return
                        end = min(end, until)
                    if end > start:
                        yield start, end
            day += timedelta(days=1)
        if until is None:
            raise ValueError(f"calendar {self.name!r} has no open time within {MAX_DAYS} days")
        yield from self.open_spans(self.local_to_utc(day, 0), until)


def _utc(moment: datetime, what: str) -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def _merged(pauses: Sequence[Span]) -> list[Span]:
    merged: list[list[datetime]] = []
    for start, end in sorted((_utc(s, "pause start"), _utc(e, "pause end")) for s, e in pauses):
        if end < start:
            raise ValueError(f"pause ends before it starts: {start.isoformat()} - {end.isoformat()}")
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged if end > start]


def _counted_spans(calendar: Calendar, since: datetime, until: datetime | None,
                   pauses: Sequence[Span]) -> Iterator[Span]:
    """Open spans minus the pauses."""
    pauses = _merged(pauses)
    first = 0
    for start, end in calendar.open_spans(since, until):
        while first < len(pauses) and pauses[first][1] <= start:
            first += 1
        for pause_start, pause_end in pauses[first:]:
            if pause_start >= end:
                break
            if pause_start > start:
                yield start, pause_start
            start = max(start, pause_end)
        if end > start:
            yield start, end


def add_business_seconds(calendar: Calendar, start: datetime, seconds: int,
                         pauses: Sequence[Span] = ()) -> datetime:
    """The UTC instant when `seconds` of open, unpaused time have passed after `start`.

    Zero seconds gives the next open instant at or after `start`."""
    start = _utc(start, "start")
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise ValueError(f"seconds must be a non-negative integer, got {seconds!r}")
    remaining = timedelta(seconds=seconds)
    for span_start, span_end in _counted_spans(calendar, start, None, pauses):
        if span_end - span_start >= remaining:
            return span_start + remaining
        remaining -= span_end - span_start
    raise AssertionError("unreachable: open_spans raises when it runs out of days")


def business_seconds_between(calendar: Calendar, start: datetime, end: datetime,
                             pauses: Sequence[Span] = ()) -> int:
    """Whole seconds of open, unpaused time between two instants; 0 when `end` is not after `start`."""
    start, end = _utc(start, "start"), _utc(end, "end")
    if end <= start:
        return 0
    total = sum((e - s for s, e in _counted_spans(calendar, start, end, pauses)), timedelta())
    return total // _SECOND
