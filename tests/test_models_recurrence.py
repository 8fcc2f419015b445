"""Recurrence on the calendar's edges: month ends, leap days, DST, floating, meters."""

import datetime as dt

import pytest

from models.meter_schedules import crossed_threshold, next_threshold
from models.recurrence import (
    Rule,
    after,
    describe,
    due_at,
    floating_next,
    occurrences_between,
    on_or_after,
)

D = dt.date


def test_monthly_on_the_31st_falls_on_the_months_last_day():
    rule = Rule("month", 1, D(2025, 1, 31), month_day=31)
    days = occurrences_between(rule, D(2025, 1, 1), D(2025, 5, 31))
    assert days == [D(2025, 1, 31), D(2025, 2, 28), D(2025, 3, 31), D(2025, 4, 30), D(2025, 5, 31)]


def test_monthly_february_in_a_leap_year():
    rule = Rule("month", 1, D(2024, 1, 30))
    assert occurrences_between(rule, D(2024, 2, 1), D(2024, 3, 31)) == [
        D(2024, 2, 29),
        D(2024, 3, 30),
    ]


def test_yearly_from_leap_day_falls_on_feb_28_then_back_on_29():
    rule = Rule("year", 1, D(2024, 2, 29))
    assert occurrences_between(rule, D(2024, 1, 1), D(2028, 12, 31)) == [
        D(2024, 2, 29),
        D(2025, 2, 28),
        D(2026, 2, 28),
        D(2027, 2, 28),
        D(2028, 2, 29),
    ]


def test_quarterly_and_every_two_weeks_on_weekdays():
    quarterly = Rule("month", 3, D(2025, 1, 15))
    assert after(quarterly, D(2025, 1, 15)) == D(2025, 4, 15)
    fortnight = Rule("week", 2, D(2025, 6, 4), weekdays=(0, 3))  # a Wednesday: Mon and Thu
    assert occurrences_between(fortnight, D(2025, 6, 1), D(2025, 6, 30)) == [
        D(2025, 6, 5),
        D(2025, 6, 16),
        D(2025, 6, 19),
        D(2025, 6, 30),
    ]


def test_start_in_the_past_keeps_the_grid_and_end_stops_it():
    rule = Rule("day", 10, D(2020, 1, 1), end=D(2030, 1, 1))
    found = on_or_after(rule, D(2025, 3, 1))
    assert (found - D(2020, 1, 1)).days % 10 == 0 and D(2025, 3, 1) <= found < D(2025, 3, 11)
    assert on_or_after(Rule("day", 1, D(2020, 1, 1), end=D(2020, 1, 5)), D(2020, 1, 6)) is None
    assert on_or_after(rule, D(2019, 1, 1)) == D(2020, 1, 1)  # never before the start


def test_a_day_of_the_month_before_the_start_day_begins_the_month_after():
    rule = Rule("month", 1, D(2025, 1, 10), month_day=5)
    assert on_or_after(rule, D(2024, 12, 1)) == D(2025, 2, 5)
    assert occurrences_between(rule, D(2025, 1, 1), D(2025, 3, 31)) == [
        D(2025, 2, 5),
        D(2025, 3, 5),
    ]
    late = Rule("month", 1, D(2025, 1, 10), month_day=31)
    assert on_or_after(late, D(2025, 1, 1)) == D(2025, 1, 31)


@pytest.mark.parametrize(
    "tz, before, on, after_",
    [
        # London: clocks forward 30 March 2025, back 26 October 2025; 08:00 local each day.
        ("Europe/London", (2025, 3, 29, 8), (2025, 3, 30, 7), (2025, 3, 31, 7)),
        ("Europe/London", (2025, 10, 25, 7), (2025, 10, 26, 8), (2025, 10, 27, 8)),
        # New York: forward 9 March 2025, back 2 November 2025.
        ("America/New_York", (2025, 3, 8, 13), (2025, 3, 9, 12), (2025, 3, 10, 12)),
        ("America/New_York", (2025, 11, 1, 12), (2025, 11, 2, 13), (2025, 11, 3, 13)),
    ],
)
def test_daily_08_00_site_time_across_dst(tz, before, on, after_):
    rule = Rule("day", 1, D(2025, 1, 1), tz=tz)
    day = D(*on[:3])
    assert due_at(rule, day - dt.timedelta(days=1)) == dt.datetime(*before)
    assert due_at(rule, day) == dt.datetime(*on)
    assert due_at(rule, day + dt.timedelta(days=1)) == dt.datetime(*after_)


def test_a_time_inside_the_spring_gap_moves_forward_and_an_ambiguous_one_is_the_first():
    gap = Rule("day", 1, D(2025, 1, 1), time_of_day=dt.time(2, 30), tz="America/New_York")
    assert due_at(gap, D(2025, 3, 9)) == dt.datetime(2025, 3, 9, 7, 30)  # 03:30 EDT
    twice = Rule("day", 1, D(2025, 1, 1), time_of_day=dt.time(1, 30), tz="America/New_York")
    assert due_at(twice, D(2025, 11, 2)) == dt.datetime(2025, 11, 2, 5, 30)  # 01:30 EDT


def test_floating_counts_from_completion_early_or_late():
    rule = Rule("month", 3, D(2025, 1, 10))
    assert floating_next(rule, D(2025, 3, 20)) == D(2025, 6, 20)  # done early
    assert floating_next(rule, D(2025, 5, 31)) == D(2025, 8, 31)  # done late
    assert floating_next(rule, D(2025, 11, 30)) == D(2026, 2, 28)  # clamped
    ended = Rule("week", 1, D(2025, 1, 1), end=D(2025, 1, 20))
    assert floating_next(ended, D(2025, 1, 18)) is None


def test_meter_thresholds_and_jumps():
    assert next_threshold(None, 500) == 500
    assert next_threshold(480, 500) == 500
    assert next_threshold(500, 500) == 1000
    assert crossed_threshold(500, 500, 499) == (None, 0)
    assert crossed_threshold(500, 500, 510) == (500, 0)
    assert crossed_threshold(500, 500, 1100) == (1000, 1)  # past two: one, noting one skipped


def test_rules_refuse_nonsense_and_describe_themselves():
    with pytest.raises(ValueError):
        Rule("month", 0, D(2025, 1, 1))
    with pytest.raises(ValueError):
        Rule("fortnight", 1, D(2025, 1, 1))
    assert describe(Rule("week", 2, D(2025, 1, 1), weekdays=(3, 0))) == (
        "Every 2 weeks on Mon, Thu at 08:00"
    )
    assert describe(Rule("month", 1, D(2025, 1, 31), month_day=31)).startswith(
        "Every month on the last day"
    )
