"""Report periods: a month, a quarter or any range of days, read from a URL and turned into
UTC bounds in the site's time zone, with the periods before it for the trend charts.

A period is a range of whole local days [first, last]; it is stored in URLs as dates, so a
report link means the same thing whenever it is opened (nothing relative to "today").
"""

import datetime
from dataclasses import dataclass

from .clock import local_to_utc
from .recurrence import add_months

KINDS = ("month", "quarter", "range")
MAX_DAYS = 3 * 366 + 1  # a report over more than three years is refused, not attempted
EARLIEST = datetime.date(2000, 1, 1)
TREND_PERIODS = {"month": 12, "quarter": 8, "range": 6}


class PeriodError(ValueError):
    """A period we cannot report on; `field` names the form field the message is for."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Period:
    kind: str
    first: datetime.date  # first day, inclusive
    last: datetime.date  # last day, inclusive

    @property
    def days(self):
        return (self.last - self.first).days + 1

    @property
    def label(self):
        if self.kind == "month":
            return self.first.strftime("%B %Y")
        if self.kind == "quarter":
            return f"Q{(self.first.month - 1) // 3 + 1} {self.first.year}"
        if self.first.year == self.last.year:
            return f"{self.first:%d %b} – {self.last:%d %b %Y}"
        return f"{self.first:%d %b %Y} – {self.last:%d %b %Y}"

    @property
    def short_label(self):
        """For a chart's axis, on two lines: "Oct\n2026", "Q3\n2026", "14 Oct\n2026"."""
        if self.kind == "month":
            return self.first.strftime("%b\n%Y")
        if self.kind == "quarter":
            return f"Q{(self.first.month - 1) // 3 + 1}\n{self.first.year}"
        return self.first.strftime("%d %b\n%Y")

    def bounds(self, tz_name):
        """[start, end) in naive UTC: local midnight of the first day to that after the last."""
        start = datetime.datetime.combine(self.first, datetime.time())
        end = datetime.datetime.combine(self.last + datetime.timedelta(days=1), datetime.time())
        return local_to_utc(start, tz_name), local_to_utc(end, tz_name)

    def previous(self):
        """The period of the same kind and length just before this one."""
        if self.kind == "month":
            first = add_months(self.first, -1)
            return month(first.year, first.month)
        if self.kind == "quarter":
            first = add_months(self.first, -3)
            return quarter(first.year, (first.month - 1) // 3 + 1)
        last = self.first - datetime.timedelta(days=1)
        return Period("range", last - datetime.timedelta(days=self.days - 1), last)

    def trend(self, count=None):
        """This period and those before it, oldest first (12 months, 8 quarters or 6
        ranges), for the charts; never earlier than EARLIEST."""
        periods = [self]
        for _ in range((count or TREND_PERIODS[self.kind]) - 1):
            before = periods[-1].previous()
            if before.first < EARLIEST:
                break
            periods.append(before)
        return list(reversed(periods))

    def query_args(self):
        """The URL parameters that name this period."""
        if self.kind == "month":
            return {"period": "month", "month": self.first.strftime("%Y-%m")}
        if self.kind == "quarter":
            number = (self.first.month - 1) // 3 + 1
            return {"period": "quarter", "quarter": f"{self.first.year}-Q{number}"}
        return {"period": "range", "from": self.first.isoformat(), "to": self.last.isoformat()}


def month(year, number):
    first = datetime.date(year, number, 1)
    return Period("month", first, add_months(first, 1) - datetime.timedelta(days=1))


def quarter(year, number):
    first = datetime.date(year, 3 * (number - 1) + 1, 1)
    return Period("quarter", first, add_months(first, 3) - datetime.timedelta(days=1))


def last_complete_month(today):
    first = add_months(today.replace(day=1), -1)
    return month(first.year, first.month)


def _parse_date(text, field, what):
    try:
        day = datetime.date.fromisoformat((text or "").strip())
    except ValueError:
        raise PeriodError(f"Enter the {what} as a date (YYYY-MM-DD).", field) from None
    if day < EARLIEST or day.year > 2100:
        raise PeriodError(f"Enter a {what} between 2000 and 2100.", field)
    return day


def parse(args, today):
    """The period named by URL parameters: period=month&month=YYYY-MM,
    period=quarter&quarter=YYYY-Qn, or period=range&from=YYYY-MM-DD&to=YYYY-MM-DD. Without
    any, last month. Refused with a message at the field: unreadable dates, an end before
    the start, more than three years."""
    kind = args.get("period") or "month"
    if kind not in KINDS:
        raise PeriodError("Choose a month, a quarter or a range of dates.", "period")
    if kind == "month":
        text = (args.get("month") or "").strip()
        if not text:
            return last_complete_month(today)
        try:
            day = datetime.datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise PeriodError("Enter the month as YYYY-MM, e.g. 2026-10.", "month") from None
        if day < EARLIEST or day.year > 2100:
            raise PeriodError("Enter a month between 2000 and 2100.", "month")
        return month(day.year, day.month)
    if kind == "quarter":
        text = (args.get("quarter") or "").strip().upper()
        year, _, number = text.partition("-Q")
        if not (year.isdigit() and len(year) == 4 and number in ("1", "2", "3", "4")):
            raise PeriodError("Enter the quarter as YYYY-Qn, e.g. 2026-Q3.", "quarter")
        if not 2000 <= int(year) <= 2100:
            raise PeriodError("Enter a quarter between 2000 and 2100.", "quarter")
        return quarter(int(year), int(number))
    first = _parse_date(args.get("from"), "from", "start")
    last = _parse_date(args.get("to"), "to", "end")
    if last < first:
        raise PeriodError("The end is before the start: swap the dates.", "to")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(
            "That range is longer than three years: choose a shorter one (or a quarter).", "to"
        )
    return Period("range", first, last)
