"""The business calendar behind SLA due times: hand-worked cases, then properties."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.tickets.sla.calendar import (
    WEEKDAYS,
    Calendar,
    add_business_seconds,
    business_seconds_between,
)

MADRID = ZoneInfo("Europe/Madrid")
HOUR = 3600
OFFICE = {day: [("09:00", "18:00")] for day in WEEKDAYS[:5]}


def office(**changes):
    return Calendar(**{"name": "office", "timezone": "Europe/Madrid", "hours": OFFICE} | changes)


def madrid(*parts, fold=0):
    return datetime(*parts, tzinfo=MADRID, fold=fold)


def local(instant):
    return instant.astimezone(MADRID).replace(tzinfo=None)


def test_friday_evening_with_four_hours_is_due_monday_midday():
    due = add_business_seconds(office(), madrid(2027, 2, 5, 17, 30), 4 * HOUR)
    assert due.tzinfo is UTC
    assert local(due) == datetime(2027, 2, 8, 12, 30)


def test_a_holiday_monday_moves_it_to_tuesday():
    due = add_business_seconds(office(holidays={date(2027, 2, 8)}), madrid(2027, 2, 5, 17, 30), 4 * HOUR)
    assert local(due) == datetime(2027, 2, 9, 12, 30)


@pytest.mark.parametrize(("friday", "monday", "due_utc"), [
    (date(2027, 3, 26), date(2027, 3, 29), datetime(2027, 3, 29, 9, 0, tzinfo=UTC)),  # +01:00 -> +02:00
    (date(2027, 10, 29), date(2027, 11, 1), datetime(2027, 11, 1, 10, 0, tzinfo=UTC)),  # +02:00 -> +01:00
])
def test_office_hours_across_a_dst_weekend_keep_local_time(friday, monday, due_utc):
    start = madrid(friday.year, friday.month, friday.day, 16, 0)
    due = add_business_seconds(office(), start, 4 * HOUR)
    assert local(due) == datetime(monday.year, monday.month, monday.day, 11, 0)
    assert due == due_utc
    change = start.utcoffset() - due.astimezone(MADRID).utcoffset()
    assert due - start == timedelta(days=2, hours=19) + change
    assert business_seconds_between(office(), start, due) == 4 * HOUR


def test_always_counts_real_seconds_across_the_spring_forward_night():
    due = add_business_seconds(Calendar.always(), madrid(2027, 3, 28, 1, 30), HOUR)
    assert local(due) == datetime(2027, 3, 28, 3, 30)


def test_always_counts_the_repeated_hour_of_the_autumn_night():
    due = add_business_seconds(Calendar.always(), madrid(2027, 10, 31, 1, 30), 2 * HOUR)
    assert due == madrid(2027, 10, 31, 2, 30, fold=1).astimezone(UTC)
    assert due.astimezone(MADRID).fold == 1


@pytest.mark.parametrize(("day", "hours"), [(date(2027, 3, 28), 23), (date(2027, 3, 27), 24), (date(2027, 10, 31), 25)])
def test_a_madrid_24_7_day_lasts_its_real_length(day, hours):
    calendar = Calendar("madrid", "Europe/Madrid", {d: [("00:00", "24:00")] for d in WEEKDAYS})
    after = day + timedelta(days=1)
    start, end = madrid(day.year, day.month, day.day), madrid(after.year, after.month, after.day)
    assert business_seconds_between(calendar, start, end) == hours * HOUR


def test_between_walks_past_the_day_bound_when_it_has_an_end():
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)
    assert business_seconds_between(Calendar.always(), start, end) == (end - start) // timedelta(seconds=1)


def test_a_pause_while_awaiting_the_user_moves_the_due_time():
    pause = (madrid(2027, 2, 8, 10, 0), madrid(2027, 2, 8, 11, 0))
    due = add_business_seconds(office(), madrid(2027, 2, 5, 17, 30), 4 * HOUR, [pause])
    assert local(due) == datetime(2027, 2, 8, 13, 30)


def test_a_pause_over_closed_time_counts_only_its_open_part():
    pause = (madrid(2027, 2, 5, 17, 45), madrid(2027, 2, 8, 9, 30))
    due = add_business_seconds(office(), madrid(2027, 2, 5, 17, 30), 4 * HOUR, [pause])
    assert local(due) == datetime(2027, 2, 8, 13, 15)


@pytest.mark.parametrize("start", [
    datetime(2027, 2, 5, 17, 30, tzinfo=UTC), madrid(2027, 3, 28, 1, 30), madrid(2027, 10, 31, 2, 30, fold=1),
])
@pytest.mark.parametrize("seconds", [0, 1, HOUR, 72 * HOUR])
def test_the_24_7_default_is_plain_addition(start, seconds):
    # UTC on both sides: aware arithmetic in one zone is wall-clock arithmetic, and an ambiguous
    # local time never compares equal across zones.
    utc = start.astimezone(UTC)
    assert add_business_seconds(Calendar.always(), start, seconds) == utc + timedelta(seconds=seconds)


def test_several_intervals_a_day_skip_lunch():
    lunch = office(hours={"mon": [("14:00", "18:00"), ("09:00", "13:00")]})
    assert local(add_business_seconds(lunch, madrid(2027, 2, 8, 11, 0), 3 * HOUR)) == datetime(2027, 2, 8, 15, 0)
    assert business_seconds_between(lunch, madrid(2027, 2, 8, 0, 0), madrid(2027, 2, 9, 0, 0)) == 8 * HOUR


@pytest.mark.parametrize(("start", "due"), [
    (madrid(2027, 2, 6, 10, 0), datetime(2027, 2, 8, 10, 0)),  # Saturday
    (madrid(2027, 2, 8, 7, 0), datetime(2027, 2, 8, 10, 0)),  # before opening
    (madrid(2027, 2, 8, 19, 0), datetime(2027, 2, 9, 10, 0)),  # after closing
])
def test_a_start_in_closed_time_counts_from_the_next_opening(start, due):
    assert local(add_business_seconds(office(), start, HOUR)) == due


def test_zero_seconds_is_the_next_open_instant():
    assert local(add_business_seconds(office(), madrid(2027, 2, 6, 10, 0), 0)) == datetime(2027, 2, 8, 9, 0)
    open_start = madrid(2027, 2, 8, 10, 15)
    assert add_business_seconds(office(), open_start, 0) == open_start


def test_a_nonexistent_opening_is_the_instant_the_clocks_jump():
    gap = Calendar("night", "Europe/Madrid", {"sun": [("02:00", "04:00")], "mon": [("02:15", "02:45")]})
    start = madrid(2027, 3, 28, 0, 0)
    assert local(add_business_seconds(gap, start, 0)) == datetime(2027, 3, 28, 3, 0)
    assert business_seconds_between(gap, start, madrid(2027, 3, 29, 0, 0)) == HOUR
    inside = Calendar("inside", "Europe/Madrid", {"sun": [("02:15", "02:45")]})
    assert business_seconds_between(inside, start, madrid(2027, 3, 29, 0, 0)) == 0


def test_an_ambiguous_time_is_its_first_occurrence():
    night = Calendar("night", "Europe/Madrid", {"sun": [("02:00", "02:30"), ("02:30", "03:00")]})
    start, end = madrid(2027, 10, 31, 0, 0), madrid(2027, 11, 1, 0, 0)
    assert business_seconds_between(night, start, end) == 2 * HOUR
    first = Calendar("first", "Europe/Madrid", {"sun": [("02:00", "02:30")]})
    assert business_seconds_between(first, start, end) == HOUR // 2


def test_a_calendar_that_never_opens_stops_the_walk():
    with pytest.raises(ValueError, match="no open time"):
        add_business_seconds(office(hours={}), madrid(2027, 2, 8, 9, 0), 1)


def test_seventy_two_office_hours_span_weeks():
    due = add_business_seconds(office(), madrid(2027, 2, 8, 9, 0), 72 * HOUR)
    assert local(due) == datetime(2027, 2, 17, 18, 0)


def test_between_is_zero_when_end_is_not_after_start():
    assert business_seconds_between(office(), madrid(2027, 2, 8, 12, 0), madrid(2027, 2, 8, 10, 0)) == 0


@pytest.mark.parametrize(("call", "message"), [
    (lambda: add_business_seconds(office(), datetime(2027, 2, 8, 9), 1), "aware"),
    (lambda: add_business_seconds(office(), madrid(2027, 2, 8, 9), -1), "non-negative"),
    (lambda: add_business_seconds(office(), madrid(2027, 2, 8, 9), 1,
                                  [(madrid(2027, 2, 8, 11), madrid(2027, 2, 8, 10))]), "ends before"),
])
def test_bad_arguments_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_api_shape_round_trips():
    data = {"name": "madrid-office", "timezone": "Europe/Madrid",
            "hours": {"mon": [["09:00", "13:00"], ["14:00", "18:00"]], "sat": [["10:00", "24:00"]]},
            "holidays": ["2027-01-01"]}
    calendar = Calendar.from_dict(data)
    assert calendar.timezone == MADRID
    assert calendar.holidays == {date(2027, 1, 1)}
    assert calendar.to_dict() == data
    assert Calendar.always().name == "always"


@pytest.mark.parametrize(("changes", "message"), [
    ({"hours": {"monday": [["09:00", "18:00"]]}}, "unknown weekday 'monday'"),
    ({"hours": {"mon": [["9:00", "18:00"]]}}, "bad time '9:00'"),
    ({"hours": {"mon": [["09:00", "25:00"]]}}, "bad time '25:00'"),
    ({"hours": {"mon": [["24:00", "24:00"]]}}, "bad time '24:00'"),
    ({"hours": {"mon": [["18:00", "09:00"]]}}, "ends before it starts"),
    ({"hours": {"mon": [["09:00", "09:00"]]}}, "ends before it starts"),
    ({"hours": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}, "overlap"),
    ({"hours": {"mon": [["09:00"]]}}, "pair of times"),
    ({"hours": {"mon": "09:00-18:00"}}, "list"),
    ({"timezone": "Europe/Atlantis"}, "unknown time zone 'Europe/Atlantis'"),
    ({"timezone": None}, "unknown time zone"),
    ({"holidays": ["2027-13-01"]}, "bad holiday '2027-13-01'"),
    ({"name": ""}, "needs a name"),
])
def test_a_bad_calendar_is_refused_with_a_clear_message(changes, message):
    data = {"name": "office", "timezone": "Europe/Madrid", "hours": {"mon": [["09:00", "18:00"]]}, "holidays": []}
    with pytest.raises(ValueError, match=message):
        Calendar.from_dict(data | changes)


ZONES = ["UTC", "Europe/Madrid", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]


@st.composite
def calendars(draw):
    hours = {}
    for day in WEEKDAYS:
        points = sorted(draw(st.sets(st.integers(0, 96), max_size=4)))
        pairs = [(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]
        hours[day] = [(f"{a * 15 // 60:02d}:{a * 15 % 60:02d}", f"{b * 15 // 60:02d}:{b * 15 % 60:02d}")
                      for a, b in pairs]
    if not any(hours.values()):
        hours["wed"] = [("10:00", "11:00")]
    holidays = draw(st.sets(st.dates(date(2027, 1, 1), date(2027, 12, 31)), max_size=10))
    return Calendar("random", draw(st.sampled_from(ZONES)), hours, holidays)


def within_reach(calendar, seconds):
    """At most about 50 weeks of the calendar's open time, well inside the walk's bound."""
    weekly = sum(int(b[:2]) * 60 + int(b[3:]) - int(a[:2]) * 60 - int(a[3:])
                 for pairs in calendar.hours.values() for a, b in pairs) * 60
    return seconds % (weekly * 50 + 1)


starts = st.datetimes(datetime(2027, 1, 1), datetime(2027, 12, 20), timezones=st.just(UTC))


@st.composite
def pauses(draw, around):
    result = []
    for _ in range(draw(st.integers(0, 2))):
        start = around + timedelta(seconds=draw(st.integers(-HOUR, 20 * 24 * HOUR)))
        result.append((start, start + timedelta(seconds=draw(st.integers(0, 3 * 24 * HOUR)))))
    return result


@settings(max_examples=60, deadline=None)
@given(st.data(), calendars(), starts, st.integers(0, 40 * HOUR))
def test_between_inverts_add(data, calendar, start, seconds):
    paused, seconds = data.draw(pauses(start)), within_reach(calendar, seconds)
    due = add_business_seconds(calendar, start, seconds, paused)
    assert due >= start
    assert business_seconds_between(calendar, start, due, paused) == seconds


@settings(max_examples=60, deadline=None)
@given(calendars(), starts, st.integers(0, 40 * HOUR), st.integers(0, 10 * HOUR))
def test_more_seconds_never_give_an_earlier_due_time(calendar, start, seconds, more):
    seconds, more = within_reach(calendar, seconds), within_reach(calendar, more)
    assert add_business_seconds(calendar, start, seconds) <= add_business_seconds(calendar, start, seconds + more)
