"""The period report: what a client is shown for a month, a quarter or a range of days.

Assembled from the KPIs (models/kpi.py, models/compliance.py) and a few report-only
aggregates (work done by type, labour and parts, the assets with the most failures), with a
fixed number of queries whatever the amount of work. Lists shown on the page and the PDF are
capped (LIST_ROWS); `rows_for_csv` gives every row, through the same covered queries.
"""

import decimal
from dataclasses import dataclass, field

from peewee import JOIN, SQL, fn

from .asset import Asset
from .base import utcnow
from .compliance import Compliance, pm_compliance_by, pm_compliance_per_period
from .kpi import (
    CORRECTIVE,
    FINISHED,
    backlog,
    backlog_ages,
    downtime_by_asset,
    downtime_hours,
    first_time_fix,
    is_failure,
    mtbf,
    mttr,
    open_at,
)
from .part import PartUsed
from .schedule import Schedule
from .sql_time import bucket, span
from .time_entry import TimeEntry
from .user import User
from .work_order import TYPES, WorkOrder

LIST_ROWS = 50  # work done and open work shown in the report (and its PDF); the CSV has every row
TOP_ROWS = 15  # assets by downtime or failures, schedules, technicians
PLANNED = ("preventive", "inspection")


def money(value):
    return decimal.Decimal(str(value or 0)).quantize(
        decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP
    )


@dataclass
class TrendPoint:
    label: str
    corrective: int
    planned: int
    mttr_hours: float | None
    downtime_hours: float
    backlog: int
    pm_percent: int | None
    first_time_fix: float | None


@dataclass
class PeriodReport:
    cover: object
    period: object
    tz: str
    start: object  # naive UTC bounds of the period
    end: object
    at: object  # the moment open work is counted at: the period's end, or now
    summary: dict = field(default_factory=dict)
    trend: list = field(default_factory=list)
    by_type: list = field(default_factory=list)
    work_done: list = field(default_factory=list)
    pm: Compliance = Compliance()
    pm_schedules: list = field(default_factory=list)
    open_work: list = field(default_factory=list)
    ages: list = field(default_factory=list)
    downtime: list = field(default_factory=list)
    labour: list = field(default_factory=list)
    top_assets: list = field(default_factory=list)

    @property
    def is_empty(self):
        """Nothing raised, done, open, down or due in the period: the page says so."""
        s = self.summary
        return not (s["raised"] or s["completed"] or s["open"] or s["downtime_hours"])


def _narrow(cover):
    """The cover as compliance filters (schedules carry client and project)."""
    return {"client": cover.client_id, "project": cover.project_id}


def completed_by_type(cover, bounds):
    """[{type: orders completed}] per range."""
    lo, hi = span(bounds)
    query = (
        WorkOrder.select(bucket(WorkOrder.completed_at, bounds), WorkOrder.type, fn.COUNT(SQL("*")))
        .where(_completed_in(cover, lo, hi))
        .group_by(SQL("1"), WorkOrder.type)
    )
    found = [dict.fromkeys(TYPES, 0) for _ in bounds]
    for index, kind, count in query.tuples():
        if index is not None:
            found[index][kind] = count
    return found


def _completed_in(cover, lo, hi):
    return (
        cover.where(WorkOrder)
        & WorkOrder.status.in_(FINISHED)
        & WorkOrder.completed_at.is_null(False)
        & (WorkOrder.completed_at >= lo)
        & (WorkOrder.completed_at < hi)
    )


def _raised(cover, start, end):
    return (
        WorkOrder.select(fn.COUNT(SQL("*")))
        .where(cover.where(WorkOrder), WorkOrder.created_at >= start, WorkOrder.created_at < end)
        .scalar()
    )


def labour_and_parts_by_type(cover, start, end):
    """{type: (labour minutes, parts cost)} of the work completed in [start, end)."""
    done = _completed_in(cover, start, end)
    minutes = dict(
        TimeEntry.select(WorkOrder.type, fn.SUM(TimeEntry.minutes))
        .join(WorkOrder, on=(TimeEntry.work_order == WorkOrder.id))
        .where(done)
        .group_by(WorkOrder.type)
        .tuples()
    )
    cost = dict(
        PartUsed.select(WorkOrder.type, fn.SUM(PartUsed.quantity * PartUsed.unit_cost))
        .join(WorkOrder, on=(PartUsed.work_order == WorkOrder.id))
        .where(done)
        .group_by(WorkOrder.type)
        .tuples()
    )
    return {kind: (int(minutes.get(kind) or 0), money(cost.get(kind))) for kind in TYPES}


def labour_by_technician(cover, start, end, limit=None):
    """[(name, orders, minutes)] of the work completed in [start, end), most hours first."""
    minutes = fn.SUM(TimeEntry.minutes)
    query = (
        TimeEntry.select(
            fn.COALESCE(User.name, "Former user"),
            fn.COUNT(TimeEntry.work_order.distinct()),
            minutes,
        )
        .join(WorkOrder, on=(TimeEntry.work_order == WorkOrder.id))
        .join(User, JOIN.LEFT_OUTER, on=(TimeEntry.user == User.id))
        .where(_completed_in(cover, start, end))
        .group_by(User.id, User.name)
        .order_by(minutes.desc(), User.name)
    )
    return list((query.limit(limit) if limit else query).tuples())


def order_rows(condition, order_by, limit=None):
    """Work order rows with their asset, labour minutes and parts cost, in one query (the
    sums are one index probe per row). With a limit, the ids are picked first (from an index
    alone, when one covers the condition), then only those rows are read."""
    if limit:
        picked = WorkOrder.select(WorkOrder.id).where(condition).order_by(*order_by).limit(limit)
        condition = WorkOrder.id.in_(picked)
    labour = TimeEntry.select(fn.SUM(TimeEntry.minutes)).where(TimeEntry.work_order == WorkOrder.id)
    parts = PartUsed.select(fn.SUM(PartUsed.quantity * PartUsed.unit_cost)).where(
        PartUsed.work_order == WorkOrder.id
    )
    query = (
        WorkOrder.select(
            WorkOrder,
            Asset.id,
            Asset.tag,
            Asset.name,
            labour.alias("labour_sum"),
            parts.alias("parts_sum"),
        )
        .join(Asset, JOIN.LEFT_OUTER, on=(WorkOrder.asset == Asset.id), attr="asset_row")
        .where(condition)
        .order_by(*order_by)
    )
    rows = list(query)
    for row in rows:
        row.labour_minutes = int(row.labour_sum or 0)
        row.parts_cost = money(row.parts_sum)
    return rows


def work_done(cover, start, end, limit=None):
    """The work completed in [start, end), latest first."""
    return order_rows(
        _completed_in(cover, start, end),
        (WorkOrder.completed_at.desc(), WorkOrder.id.desc()),
        limit,
    )


def open_work(cover, at, limit=None):
    """The work open at `at`, oldest first."""
    condition = cover.where(WorkOrder) & (WorkOrder.status != SQL("'cancelled'")) & open_at(at)
    return order_rows(condition, (WorkOrder.created_at, WorkOrder.id), limit)


def top_failing_assets(cover, start, end, limit=None):
    """[(asset id, tag, name, failures, last raised)]: the assets with the most corrective
    work raised in [start, end). Counted by asset id first (from the client index alone),
    then only the assets listed are read."""
    failures = fn.COUNT(SQL("*"))
    query = (
        WorkOrder.select(WorkOrder.asset, failures, fn.MAX(WorkOrder.created_at))
        .where(
            cover.where(WorkOrder),
            is_failure(),
            WorkOrder.created_at >= start,
            WorkOrder.created_at < end,
        )
        .group_by(WorkOrder.asset)
        .order_by(failures.desc(), WorkOrder.asset)
    )
    counted = list((query.limit(limit) if limit else query).tuples())
    names = {}
    ids = [asset_id for asset_id, _, _ in counted]
    for first in range(0, len(ids), 500):
        names.update(
            (row[0], row[1:])
            for row in Asset.select(Asset.id, Asset.tag, Asset.name)
            .where(Asset.id.in_(ids[first : first + 500]))
            .tuples()
        )
    return [(a, *names.get(a, ("", "")), n, last) for a, n, last in counted]


def pm_by_schedule(cover, start, end, limit=None, now=None):
    """[(schedule, asset tag or "", Compliance)], most occurrences due first."""
    counts = pm_compliance_by(cover.user, start, end, "schedule", now=now, **_narrow(cover))
    ranked = sorted(counts.items(), key=lambda item: (-item[1].due - item[1].pending, item[0]))
    if limit:
        ranked = ranked[:limit]
    schedules = {
        s.id: s
        for s in Schedule.select(
            Schedule.id, Schedule.title, Schedule.category, Schedule.asset, Asset.id, Asset.tag
        )
        .join(Asset, JOIN.LEFT_OUTER, on=(Schedule.asset == Asset.id), attr="asset_row")
        .where(Schedule.id.in_([key for key, _ in ranked] or [0]))
    }
    return [(schedules[key], counts) for key, counts in ranked if key in schedules]


def build_period_report(cover, period, tz, now=None):
    """Everything the period report shows, for a period in the site's time zone."""
    now = now or utcnow()
    periods = period.trend()
    bounds = [p.bounds(tz) for p in periods]
    start, end = bounds[-1]
    at = min(end, now)
    report = PeriodReport(cover, period, tz, start, end, at)
    times = mttr(cover, bounds)
    gaps = mtbf(cover, bounds)
    fixes = first_time_fix(cover, bounds)
    down = downtime_hours(cover, bounds)
    open_counts = backlog(cover, [min(e, now) for _, e in bounds])
    kinds = completed_by_type(cover, bounds)
    compliance = pm_compliance_per_period(cover.user, bounds, now=now, **_narrow(cover))
    for index, p in enumerate(periods):
        report.trend.append(
            TrendPoint(
                label=p.short_label,
                corrective=sum(kinds[index][k] for k in CORRECTIVE),
                planned=sum(kinds[index][k] for k in PLANNED),
                mttr_hours=times[index].value,
                downtime_hours=down[index],
                backlog=open_counts[index].count,
                pm_percent=compliance[index].percent,
                first_time_fix=fixes[index].percent,
            )
        )
    costs = labour_and_parts_by_type(cover, start, end)
    report.by_type = [(kind, kinds[-1][kind], *costs[kind]) for kind in TYPES]
    report.pm = compliance[-1]
    report.summary = {
        "raised": _raised(cover, start, end),
        "completed": sum(kinds[-1].values()),
        "corrective": report.trend[-1].corrective,
        "planned": report.trend[-1].planned,
        "mttr": times[-1],
        "mtbf": gaps[-1],
        "first_time_fix": fixes[-1],
        "downtime_hours": down[-1],
        "open": open_counts[-1].count,
        "overdue": open_counts[-1].overdue,
        "open_age_days": open_counts[-1].mean_age_days,
        "pm": compliance[-1],
        "labour_minutes": sum(minutes for minutes, _ in costs.values()),
        "parts_cost": sum((cost for _, cost in costs.values()), decimal.Decimal("0.00")),
    }
    report.work_done = work_done(cover, start, end, LIST_ROWS)
    report.open_work = open_work(cover, at, LIST_ROWS)
    report.ages = backlog_ages(cover, at)
    report.downtime = downtime_by_asset(cover, start, end, TOP_ROWS)
    report.labour = labour_by_technician(cover, start, end, TOP_ROWS)
    report.top_assets = top_failing_assets(cover, start, end, TOP_ROWS)
    report.pm_schedules = pm_by_schedule(cover, start, end, TOP_ROWS, now)
    return report
