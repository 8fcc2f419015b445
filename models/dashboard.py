"""What the home page counts for each role, each number a short aggregate the indexes of
migration 0009 (open work) answer without reading every order.

Managers: open, overdue, due this week, assets down, and the open work per technician.
Technicians: their own open work today. Client users: their KPIs (models/kpi.py).
"""

import datetime
from dataclasses import dataclass

from peewee import JOIN, SQL, Case, fn

from .asset import Asset
from .kpi import Cover, downtime_hours, first_time_fix, mttr
from .user import User
from .visibility import managed_location_ids, visible
from .work_order import Assignment, WorkOrder, due_before, is_open

WORKLOAD_ROWS = 12  # technicians on the home page; the calendar shows everyone's week
WORKLOAD_SECONDS = 60  # how long a counted workload is shown before it is counted again
_workloads = {}


def _count(query):
    return query.select(fn.COUNT(SQL("*"))).scalar() or 0


def open_counts(user, now, week):
    """{"open", "overdue", "due_week"}: three counts over the user's open work, each a range
    of the open work's due date index (`week` is [start, end) in UTC)."""
    active = visible(WorkOrder, user).where(is_open())
    start, end = week
    return {
        "open": _count(active),
        "overdue": _count(active.where(due_before(now))),
        "due_week": _count(active.where(WorkOrder.due_at >= start, WorkOrder.due_at < end)),
    }


def assets_down(user):
    return _count(visible(Asset, user).where(Asset.status == "down"))


@dataclass
class Load:
    user_id: int
    name: str
    open: int
    overdue: int
    hours: float


def workload(user, now, limit=WORKLOAD_ROWS):
    """Open work per technician the user can see: orders, overdue, estimated hours; most
    orders first. Counted from the open work (a few percent of all orders) to its
    assignments, grouped by person: at 30,000 open orders that is 30,000 probes (60-100 ms),
    so the answer is kept for WORKLOAD_SECONDS per organisation and scope in this process.
    Returns (loads, the time they were counted)."""
    key = (
        user.organisation_id,
        user.organisation.created_at,  # ids are reused when a test database is emptied
        user.role,
        tuple(managed_location_ids(user)) if user.role == "manager" else (),
        limit,
    )
    kept = _workloads.get(key)
    if kept is not None and now - kept[1] < datetime.timedelta(seconds=WORKLOAD_SECONDS):
        return kept
    if len(_workloads) > 1000:
        _workloads.clear()
    _workloads[key] = (_count_workload(user, now, limit), now)
    return _workloads[key]


def _count_workload(user, now, limit):
    orders = fn.COUNT(WorkOrder.id)
    overdue = fn.SUM(Case(None, [(due_before(now), 1)], 0))
    hours = fn.SUM(fn.COALESCE(WorkOrder.estimated_hours, 0))
    rows = (
        visible(WorkOrder, user, Assignment.user, orders, overdue, hours)
        .join(Assignment, on=(Assignment.work_order == WorkOrder.id))
        .where(is_open())
        .group_by(Assignment.user)
        .order_by(orders.desc(), Assignment.user)
        .limit(limit)
        .tuples()
    )
    counted = list(rows)
    names = dict(
        User.select(User.id, User.name)
        .where(User.id.in_([row[0] for row in counted] or [0]))
        .tuples()
    )
    return [
        Load(user_id, names.get(user_id, "Former user"), n, int(late or 0), float(h or 0))
        for user_id, n, late, h in counted
    ]


def my_day(user, now, day):
    """A technician's open work: {"overdue", "today", "in_progress"} counts and today's list
    (overdue first, then due today), `day` being the local day's [start, end) in UTC."""
    assigned = fn.EXISTS(
        Assignment.select(SQL("1")).where(
            Assignment.work_order == WorkOrder.id, Assignment.user == user.id
        )
    )
    start, end = day
    overdue = due_before(now)
    today = (WorkOrder.due_at >= now) & (WorkOrder.due_at < end)
    running = WorkOrder.status == "in_progress"
    sums = [fn.SUM(Case(None, [(condition, 1)], 0)) for condition in (overdue, today, running)]
    row = visible(WorkOrder, user, *sums).where(is_open(), assigned).tuples().get()
    counts = dict(zip(("overdue", "today", "in_progress"), (int(v or 0) for v in row), strict=True))
    rows = list(
        visible(WorkOrder, user, WorkOrder, Asset.id, Asset.tag, Asset.name)
        .join(Asset, JOIN.LEFT_OUTER, on=(WorkOrder.asset == Asset.id), attr="asset_row")
        .where(is_open(), assigned, WorkOrder.due_at.is_null(False), WorkOrder.due_at < end)
        .order_by(WorkOrder.due_at, WorkOrder.id)
        .limit(10)
    )
    done = _count(
        visible(WorkOrder, user).where(
            assigned, WorkOrder.completed_at >= start, WorkOrder.completed_at < end
        )
    )
    return counts, rows, done


def client_kpis(user, now, days=90):
    """A client user's own figures over the last `days` days."""
    cover = Cover(user)
    span = [(now - datetime.timedelta(days=days), now)]
    return {
        "days": days,
        "mttr": mttr(cover, span)[0],
        "first_time_fix": first_time_fix(cover, span)[0],
        "downtime_hours": downtime_hours(cover, span)[0],
    }
