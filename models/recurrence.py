"""When a schedule's occurrences fall: pure functions on dates, no database.

A rule counts in site-local calendar days; each occurrence is a local date, due at the rule's
time of day on the site's clock, stored as naive UTC. The rules people expect on the edges:

- monthly on the 31st falls on the month's last day (30th, 28th or 29th in February);
- yearly from 29 February falls on 28 February in common years;
- a fixed rule stays on its calendar grid whatever happened; a floating rule counts the next
  occurrence from the local day the previous one was completed (weekdays and the day of the
  month are ignored when floating: "every 3 months after the last service");
- weekly with weekdays: the listed weekdays of every N-th week, weeks counted from the
  Monday of the start date's week;
- a due time that does not exist on the clock (inside a DST spring-forward gap) is moved
  forward by the gap; an ambiguous one (autumn fall-back) is the first of the two.
"""

import calendar
import datetime
from dataclasses import dataclass

from .clock import zone

UNITS = ("day", "week", "month", "year")
UNIT_LABELS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_STEPS = 100_000  # a safety bound on any search; a real rule needs a handful


@dataclass(frozen=True)
class Rule:
    unit: str
    interval: int
    start: datetime.date
    end: datetime.date | None = None
    weekdays: tuple = ()  # 0 = Monday; weekly only
    month_day: int | None = None  # monthly: 1-31, defaults to the start date's day
    time_of_day: datetime.time = datetime.time(8, 0)
    tz: str = "UTC"

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}")
        if self.interval < 1:
            raise ValueError("the interval must be at least 1")


def clamp_day(year, month, day):
    """The date `day` of the month, or the month's last day when it is shorter."""
    return datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def add_months(day, months, month_day=None):
    """`day` moved by whole months, on `month_day` (default: its own day), clamped."""
    index = day.year * 12 + day.month - 1 + months
    return clamp_day(index // 12, index % 12 + 1, month_day or day.day)


def _nth(rule, k):
    """The k-th occurrence (k >= 0) of a rule without weekdays, on its grid."""
    if rule.unit == "day":
        return rule.start + datetime.timedelta(days=k * rule.interval)
    if rule.unit == "week":
        return rule.start + datetime.timedelta(weeks=k * rule.interval)
    if rule.unit == "month":
        return add_months(rule.start, k * rule.interval, rule.month_day or rule.start.day)
    return add_months(rule.start, 12 * k * rule.interval, rule.start.day)


def _approx_index(rule, day):
    """A grid index at or before the first occurrence on or after `day` (a lower bound)."""
    if day <= rule.start:
        return 0
    if rule.unit == "day":
        return (day - rule.start).days // rule.interval
    if rule.unit == "week":
        return (day - rule.start).days // (7 * rule.interval)
    months = (day.year - rule.start.year) * 12 + day.month - rule.start.month
    per = rule.interval * (12 if rule.unit == "year" else 1)
    return max(0, months // per - 1)


def _weekly_on_or_after(rule, day):
    week0 = rule.start - datetime.timedelta(days=rule.start.weekday())
    day = max(day, rule.start)
    weeks = (day - week0).days // 7
    week = weeks - weeks % rule.interval
    for _ in range(MAX_STEPS):
        monday = week0 + datetime.timedelta(weeks=week)
        for weekday in sorted(set(rule.weekdays)):
            candidate = monday + datetime.timedelta(days=weekday)
            if candidate >= day:
                return candidate
        week += rule.interval
    raise ValueError("no occurrence found")


def on_or_after(rule, day):
    """The first occurrence on or after local date `day` on the fixed grid, or None past
    the rule's end. Never before the start: a monthly rule on the 5th that starts on the
    10th first falls on the 5th of the next month."""
    day = max(day, rule.start)
    if rule.unit == "week" and rule.weekdays:
        found = _weekly_on_or_after(rule, day)
    else:
        k = _approx_index(rule, day)
        found = _nth(rule, k)
        for _ in range(MAX_STEPS):
            if found >= day:
                break
            k += 1
            found = _nth(rule, k)
    if rule.end is not None and found > rule.end:
        return None
    return found


def after(rule, day):
    """The first occurrence strictly after local date `day` (fixed grid), or None."""
    return on_or_after(rule, day + datetime.timedelta(days=1))


def floating_next(rule, completed_on):
    """The occurrence after one completed on local date `completed_on`: the interval
    counted from that day (never before the start), or None past the end."""
    if rule.unit == "day":
        found = completed_on + datetime.timedelta(days=rule.interval)
    elif rule.unit == "week":
        found = completed_on + datetime.timedelta(weeks=rule.interval)
    elif rule.unit == "month":
        found = add_months(completed_on, rule.interval)
    else:
        found = add_months(completed_on, 12 * rule.interval)
    found = max(found, rule.start)
    if rule.end is not None and found > rule.end:
        return None
    return found


def due_at(rule, day):
    """Naive UTC of the rule's time of day on local date `day` at the site."""
    local = datetime.datetime.combine(day, rule.time_of_day, tzinfo=zone(rule.tz))
    # Round-trip through UTC: a wall time inside a spring-forward gap comes back shifted.
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


def local_date(moment_utc, tz):
    """The site-local calendar date of a naive UTC time."""
    return moment_utc.replace(tzinfo=datetime.UTC).astimezone(zone(tz)).date()


def occurrences_between(rule, first, last, limit=1000):
    """Fixed-grid occurrence dates d with first <= d <= last, at most `limit`."""
    found, day = [], first
    while len(found) < limit:
        hit = on_or_after(rule, day)
        if hit is None or hit > last:
            break
        found.append(hit)
        day = hit + datetime.timedelta(days=1)
    return found


def describe(rule):
    """The rule in words: "Every 2 weeks on Mon, Thu at 08:00"."""
    every = "Every " + (
        UNIT_LABELS[rule.unit][:-1]
        if rule.interval == 1
        else f"{rule.interval} " + UNIT_LABELS[rule.unit]
    )
    if rule.unit == "week" and rule.weekdays:
        every += " on " + ", ".join(WEEKDAY_NAMES[d] for d in sorted(set(rule.weekdays)))
    if rule.unit == "month":
        day = rule.month_day or rule.start.day
        every += " on the last day" if day == 31 else f" on day {day}"
    return f"{every} at {rule.time_of_day.strftime('%H:%M')}"
