"""The maintenance KPIs, each defined once, as one aggregate query in the database.

Every function takes a Cover (what the person may see, narrowed to a client, project or
asset) and a list of [start, end) ranges in naive UTC, and returns one value per range, so
a report's summary (one range) and its trend chart (twelve) are the same query. The help
page (/reports/kpis) explains each definition in words; keep the two in step.

- MTTR: mean hours from creation to completion of corrective work completed in the range.
- MTBF: mean hours between one failure (corrective work raised) on an asset and the one
  before it on the same asset, for failures raised in the range.
- Downtime hours: hours assets were recorded out of service, clipped to the range.
- Backlog: work open at a moment (raised before it, not completed by then), and its age.
- First-time fix rate: share of corrective work completed in the range with no new failure
  on the same asset raised after it and within 7 days of its completion.
- PM compliance lives in models/compliance.py.

"Corrective work" is orders of type corrective or emergency; a failure is such an order
that was not cancelled (a cancelled one was a duplicate or a false alarm).
"""

import datetime
from dataclasses import dataclass

from peewee import SQL, Case, fn

from .asset import Asset
from .downtime import Downtime
from .sql_time import bucket, earlier_of, later_of, moment, plus_days, seconds_between, span
from .visibility import scope
from .work_order import WorkOrder, is_open

CORRECTIVE = ("corrective", "emergency")
FINISHED = ("completed", "closed")
FOLLOW_UP_DAYS = 7
AGE_BANDS = ((0, 7, "Up to a week"), (7, 30, "8–30 days"), (30, 90, "31–90 days"))
LONGEST_DOWNTIME = datetime.timedelta(days=366)  # models/downtime.py MAX_DAYS


@dataclass(frozen=True)
class Cover:
    """What a report covers: the rows `user` may see, narrowed to a client, a project or an
    asset (any of them None: not narrowed by it)."""

    user: object
    client_id: int | None = None
    project_id: int | None = None
    asset_id: int | None = None

    def where(self, model):
        condition = scope(model, self.user)
        if self.client_id is not None:
            condition &= model.client == self.client_id
        if self.project_id is not None:
            condition &= model.project == self.project_id
        if self.asset_id is not None:
            condition &= (model.id if model is Asset else model.asset) == self.asset_id
        return condition


def _literal(values):
    # Literal SQL, not parameters: the partial indexes of migration 0015 match only then.
    return [SQL(f"'{v}'") for v in values]


def is_failure(model=WorkOrder):
    """Corrective or emergency work that was not cancelled, on an asset."""
    return (
        model.type.in_(_literal(CORRECTIVE))
        & (model.status != SQL("'cancelled'"))
        & model.asset.is_null(False)
    )


def completed_corrective(cover, lo, hi):
    """Corrective work of the cover completed in [lo, hi)."""
    return (
        cover.where(WorkOrder)
        & WorkOrder.type.in_(_literal(CORRECTIVE))
        & WorkOrder.status.in_(_literal(FINISHED))
        & WorkOrder.completed_at.is_null(False)
        & (WorkOrder.completed_at >= lo)
        & (WorkOrder.completed_at < hi)
    )


def _by_bucket(query, count):
    """{bucket index: row} from a query whose first column is the bucket, as a list."""
    found = {row[0]: row[1:] for row in query.group_by(SQL("1")).tuples() if row[0] is not None}
    return [found.get(index) for index in range(count)]


def _hours(seconds):
    return None if seconds is None else float(seconds) / 3600


@dataclass(frozen=True)
class Mean:
    """A mean over `count` cases (None when there were none)."""

    value: float | None
    count: int


def mttr(cover, bounds):
    """Mean time to repair, in hours, per range: [Mean]."""
    lo, hi = span(bounds)
    when = bucket(WorkOrder.completed_at, bounds)
    query = WorkOrder.select(
        when,
        fn.COUNT(SQL("*")),
        fn.AVG(seconds_between(WorkOrder.completed_at, WorkOrder.created_at)),
    ).where(completed_corrective(cover, lo, hi))
    return [
        Mean(_hours(row[1]), row[0]) if row else Mean(None, 0)
        for row in _by_bucket(query, len(bounds))
    ]


def mtbf(cover, bounds):
    """Mean time between failures, in hours, per range: [Mean] over the failures raised in
    the range that had an earlier failure on the same asset (an asset's first failure has
    no interval before it)."""
    lo, hi = span(bounds)
    Before = WorkOrder.alias("before")
    previous = (
        Before.select(fn.MAX(Before.created_at))
        .where(
            Before.asset == WorkOrder.asset,
            Before.created_at < WorkOrder.created_at,
            is_failure(Before),
        )
        .alias("previous_at")
    )
    # Materialised: the outer query reads previous_at three times, and inlined, the
    # subquery would run three times for every failure.
    failures = (
        WorkOrder.select(
            bucket(WorkOrder.created_at, bounds).alias("period"),
            WorkOrder.created_at.alias("created_at"),
            previous,
        )
        .where(
            cover.where(WorkOrder),
            is_failure(),
            WorkOrder.created_at >= lo,
            WorkOrder.created_at < hi,
        )
        .cte("failures", materialized=True)
    )
    period, created, before = (failures.c.period, failures.c.created_at, failures.c.previous_at)
    query = (
        WorkOrder.select(period, fn.COUNT(before), fn.AVG(seconds_between(created, before)))
        .from_(failures)
        .with_cte(failures)
        .where(before.is_null(False))
    )
    return [
        Mean(_hours(row[1]), row[0]) if row else Mean(None, 0)
        for row in _by_bucket(query, len(bounds))
    ]


def _overlap_seconds(start, end):
    """Seconds of a downtime period inside [start, end) (0 when outside)."""
    return Case(
        None,
        [
            (
                (Downtime.started_at < end) & (Downtime.ended_at > start),
                seconds_between(
                    earlier_of(Downtime.ended_at, moment(end)),
                    later_of(Downtime.started_at, moment(start)),
                ),
            )
        ],
        0,
    )


def _downtime_in(cover, lo, hi):
    """Downtime periods on the cover's assets that overlap [lo, hi): started before its end,
    ended after its start, so started at most a year (the longest period) before it."""
    return (
        Downtime.select()
        .join(Asset, on=(Downtime.asset == Asset.id))
        .where(
            cover.where(Asset),
            Downtime.started_at >= lo - LONGEST_DOWNTIME,
            Downtime.started_at < hi,
            Downtime.ended_at > lo,
        )
    )


def downtime_hours(cover, bounds):
    """Hours the cover's assets were down in each range, a period across a boundary counted
    on each side for its own part: [float]."""
    lo, hi = span(bounds)
    sums = [fn.SUM(_overlap_seconds(start, end)) for start, end in bounds]
    row = _downtime_in(cover, lo, hi).select(*sums).tuples().get()
    return [_hours(value) or 0.0 for value in row]


def downtime_by_asset(cover, start, end, limit=None):
    """[(asset id, tag, name, hours, periods)], most hours first, for one range."""
    seconds = fn.SUM(_overlap_seconds(start, end))
    query = (
        _downtime_in(cover, start, end)
        .select(Asset.id, Asset.tag, Asset.name, seconds, fn.COUNT(Downtime.id))
        .group_by(Asset.id, Asset.tag, Asset.name)
        .order_by(seconds.desc(), Asset.tag)
    )
    if limit:
        query = query.limit(limit)
    return [(a, tag, name, _hours(s), n) for a, tag, name, s, n in query.tuples()]


@dataclass(frozen=True)
class Backlog:
    """Work open at a moment: how many, their mean age in days, and how many were overdue."""

    count: int
    mean_age_days: float | None
    overdue: int


def open_at(moment_):
    """Raised before the moment and not completed by then (cancelled work is left out:
    when it was cancelled is not recorded)."""
    return (WorkOrder.created_at < moment_) & (is_open() | (WorkOrder.completed_at >= moment_))


def backlog(cover, moments):
    """The backlog at each moment (naive UTC): [Backlog], one query for all moments."""
    first, last = min(moments), max(moments)
    columns = []
    for at in moments:
        here = open_at(at)
        columns += [
            fn.SUM(Case(None, [(here, 1)], 0)),
            fn.SUM(Case(None, [(here, seconds_between(moment(at), WorkOrder.created_at))], 0)),
            fn.SUM(Case(None, [(here & (WorkOrder.due_at < at), 1)], 0)),
        ]
    row = (
        WorkOrder.select(*columns)
        .where(
            cover.where(WorkOrder),
            WorkOrder.status != SQL("'cancelled'"),
            WorkOrder.created_at < last,
            is_open() | (WorkOrder.completed_at >= first),
        )
        .tuples()
        .get()
    )
    found = []
    for index in range(len(moments)):
        count, age, overdue = row[3 * index : 3 * index + 3]
        count = int(count or 0)
        mean = float(age) / 86400 / count if count else None
        found.append(Backlog(count, mean, int(overdue or 0)))
    return found


def backlog_ages(cover, at):
    """[(band label, open orders)] by age at the moment `at`, and the older than 90 days."""
    age = seconds_between(moment(at), WorkOrder.created_at) / 86400
    bands = [
        fn.SUM(Case(None, [((age >= low) & (age < high), 1)], 0)) for low, high, _ in AGE_BANDS
    ]
    bands.append(fn.SUM(Case(None, [(age >= AGE_BANDS[-1][1], 1)], 0)))
    row = (
        WorkOrder.select(*bands)
        .where(cover.where(WorkOrder), WorkOrder.status != SQL("'cancelled'"), open_at(at))
        .tuples()
        .get()
    )
    labels = [label for _, _, label in AGE_BANDS] + ["Over 90 days"]
    return list(zip(labels, (int(v or 0) for v in row), strict=True))


@dataclass(frozen=True)
class Rate:
    """`part` of `whole` cases (the rate None when there were none)."""

    part: int
    whole: int

    @property
    def value(self):
        return self.part / self.whole if self.whole else None

    @property
    def percent(self):
        return None if self.value is None else 100 * self.value


def first_time_fix(cover, bounds):
    """First-time fix rate per range: [Rate(fixed first time, corrective work completed)],
    counting completed corrective work on an asset."""
    lo, hi = span(bounds)
    Later = WorkOrder.alias("later")
    follow_up = Later.select(SQL("1")).where(
        Later.asset == WorkOrder.asset,
        Later.created_at > WorkOrder.created_at,
        Later.created_at <= plus_days(WorkOrder.completed_at, FOLLOW_UP_DAYS),
        is_failure(Later),
    )
    fixed = fn.SUM(Case(None, [(~fn.EXISTS(follow_up), 1)], 0))
    query = WorkOrder.select(
        bucket(WorkOrder.completed_at, bounds), fn.COUNT(SQL("*")), fixed
    ).where(completed_corrective(cover, lo, hi), WorkOrder.asset.is_null(False))
    return [
        Rate(int(row[1] or 0), row[0]) if row else Rate(0, 0)
        for row in _by_bucket(query, len(bounds))
    ]
