"""The first rows of each day of a calendar, counted up to a cap, in one statement.

A month of an organisation's calendar can hold 30,000 orders and 100,000 forecast
occurrences. Numbering them all per day (a window function) reads and sorts every one; a
calendar shows four a day and how many more. So each day is its own range read on the
(scope, due_at) index, ordered by the index and cut at `cap`, and the days are joined by
UNION ALL: at most days x cap index entries are read, however crowded the month.

Every day's member of the UNION is the same SQL with other bounds, so Peewee builds one
member and the others reuse its text (building 42 members took ~15 ms of Python a page).
"""

import bisect
import datetime

from peewee import Select, Value

# Stand-ins for a member's bounds and period number while its SQL is built; found again
# among the parameters by value, and replaced by each day's own.
_LO = datetime.datetime(1900, 1, 1, 0, 0, 1)
_HI = datetime.datetime(1900, 1, 1, 0, 0, 2)
_PERIOD = -7_777_777


def _member(query, column, id_column, lo, hi, period, cap):
    part = (
        query.select_extend(Value(period).alias("period"))
        .where(column >= lo, column < hi)
        .order_by(column, id_column)
        .limit(cap)
        .alias("p")
    )
    # Wrapped in a SELECT: SQLite takes no ORDER BY / LIMIT on a bare UNION member.
    return Select([part], [getattr(part.c, id_column.column_name), part.c.period])


def first_per_period(query, column, id_column, bounds, cap):
    """[(id, period index)] of `query`'s rows with bounds[i] <= column < bounds[i+1]: the
    first `cap` of each period, by `column` then id. `query` selects `id_column` and
    `column` (and filters); periods whose bounds are empty (lo >= hi) are skipped."""
    spans = [(i, lo, hi) for i, (lo, hi) in enumerate(zip(bounds, bounds[1:], strict=False))]
    spans = [span for span in spans if span[1] < span[2]]
    if not spans:
        return []
    database = query.model._meta.database
    sql, params = _member(query, column, id_column, _LO, _HI, _PERIOD, cap).bind(database).sql()
    slots = {_LO: [], _HI: [], _PERIOD: []}
    for k, param in enumerate(params):
        if isinstance(param, datetime.datetime | int) and param in slots:
            slots[param].append(k)
    if any(len(found) != 1 for found in slots.values()):  # not where expected: build each
        union = None
        for i, lo, hi in spans:
            member = _member(query, column, id_column, lo, hi, i, cap)
            union = member if union is None else union + member  # UNION ALL
        return list(union.bind(database).tuples())
    all_params = []
    for i, lo, hi in spans:
        own = list(params)
        own[slots[_LO][0]], own[slots[_HI][0]], own[slots[_PERIOD][0]] = lo, hi, i
        all_params.extend(own)
    return list(database.execute_sql(" UNION ALL ".join([sql] * len(spans)), all_params))


def per_period_in_one_read(query, column, id_column, bounds, cap):
    """first_per_period's rows from one range read, for a query whose rows are few (one
    person's assignments): each day's member of the UNION would walk the person's whole
    list again (a technician's month on SQLite: 35 walks of 20,000 assignments, 650 ms)."""
    rows = query.where(column >= bounds[0], column < bounds[-1]).order_by(column, id_column)
    found, counts = [], [0] * (len(bounds) - 1)
    for row_id, moment in rows.tuples():
        period = bisect.bisect_right(bounds, moment) - 1
        if 0 <= period < len(counts) and counts[period] < cap:
            counts[period] += 1
            found.append((row_id, period))
    return found


def tally(rows, periods, shown):
    """From first_per_period's rows: {id: period} of the first `shown` of each period, and
    each period's count (up to the cap it was read with)."""
    counts, first = [0] * periods, {}
    for row_id, period in rows:
        counts[period] += 1
        if counts[period] <= shown:
            first[row_id] = period
    return first, counts
