"""Time arithmetic in SQL that both databases understand, for the reports' aggregates.

Timestamps are naive UTC on both: `timestamp` columns on PostgreSQL, ISO text on SQLite
(which compares correctly as text and which julianday() reads).
"""

from peewee import SQL, Case, NodeList, Value, fn

from .base import is_postgres


def seconds_between(later, earlier):
    """later - earlier in seconds (a float)."""
    if is_postgres():
        return fn.EXTRACT(NodeList((SQL("EPOCH FROM"), NodeList((later, SQL("-"), earlier)))))
    return (fn.julianday(later) - fn.julianday(earlier)) * 86400


def plus_days(column, days):
    """column + `days` days (a literal number, so partial indexes still match)."""
    days = int(days)
    if is_postgres():
        return NodeList((column, SQL(f"+ interval '{days} days'")))
    return fn.datetime(column, SQL(f"'+{days} days'"))


def moment(value):
    """A timestamp parameter, spelt as the column stores it (text on SQLite)."""
    if is_postgres():
        return NodeList((Value(value), SQL("::timestamp")))
    return Value(str(value))


def earlier_of(a, b):
    return fn.LEAST(a, b) if is_postgres() else fn.min(a, b)


def later_of(a, b):
    return fn.GREATEST(a, b) if is_postgres() else fn.max(a, b)


def bucket(column, bounds):
    """The index of the [start, end) range of `bounds` that `column` falls in (NULL: none),
    so one GROUP BY gives every period of a trend at once."""
    return Case(
        None,
        [((column >= start) & (column < end), index) for index, (start, end) in enumerate(bounds)],
    )


def span(bounds):
    """The first start and the last end of a list of [start, end) ranges."""
    return min(s for s, _ in bounds), max(e for _, e in bounds)
