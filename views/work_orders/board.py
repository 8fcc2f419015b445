"""The board: open work by status, or each technician's load over the coming days."""

import datetime

from flask import abort, request
from flask_login import current_user, login_required
from peewee import SQL, Value, fn

from models import Assignment, WorkOrder, utcnow
from models.clock import local_day_bounds, zone
from models.visibility import visible
from models.work_order import OPEN_STATUSES, STATUS_LABELS, due_before
from models.workload import open_assignments

from ..rendering import render
from . import bp
from .dispatch import PRIORITY_RANK, visible_people
from .rows import read_picks, with_names

DAYS_AHEAD = 7
COUNT_LIMIT = 1_000  # a board column counts this many at most


@bp.route("/work-orders/board")
@login_required
def board():
    """Open work by status, or each technician's load over the coming days."""
    if current_user.role == "client":
        abort(403)
    by = "technician" if request.args.get("by") == "technician" else "status"
    if by == "status":
        return render("work_orders/board.html", by=by, columns=_status_columns())
    days, rows = _workload()
    return render("work_orders/board.html", by=by, days=days, rows=rows)


def _status_columns():
    """Each status's count and its 30 most pressing orders (priority, then due date, undated
    last): the counts in one query, each column's ids read in order from the board index of
    migration 0009, and the cards of all four in one query."""
    statuses = (*OPEN_STATUSES, "completed")
    counts = _capped_counts(statuses)
    most_pressing = (
        PRIORITY_RANK.desc(),
        WorkOrder.due_at.is_null(),
        WorkOrder.due_at,
        WorkOrder.id,
    )
    picks = {
        status: visible(WorkOrder, current_user)
        .where(WorkOrder.status == status)
        .order_by(*most_pressing)
        .limit(30)
        for status in statuses
    }
    cards = read_picks(picks, *most_pressing)
    with_names([card for column in cards.values() for card in column])
    return [
        {
            "status": status,
            "label": STATUS_LABELS[status],
            "count": counts.get(status, 0),
            "cards": cards[status],
        }
        for status in statuses
    ]


class AtLeast(int):
    """A count that stopped at its limit: formats as "1,000+"."""

    def __format__(self, spec):
        return format(int(self), spec) + "+"


def _capped_counts(statuses):
    """{status: count} in one query, each counted to COUNT_LIMIT at most: a board column of
    30,000 completed orders says "1,000+" rather than walking them all on every view."""
    union = None
    for status in statuses:
        some = (
            visible(WorkOrder, current_user, SQL("1"))
            .where(WorkOrder.status == status)
            .limit(COUNT_LIMIT + 1)
            .alias(f"some_{status}")
        )
        part = WorkOrder.select(Value(status), fn.COUNT(SQL("*"))).from_(some)
        union = part if union is None else union + part  # UNION ALL
    return {
        status: AtLeast(COUNT_LIMIT) if count > COUNT_LIMIT else count
        for status, count in union.tuples()
    }


def _workload():
    """Per technician: overdue, each of the next days, and undated open orders, with
    estimated hours. Overdue and undated work is summed in the database; the coming week's
    rows are few, and are put on days by the viewer's clock here."""
    tz = current_user.timezone
    today = datetime.datetime.now(zone(tz)).date()
    days = [today + datetime.timedelta(days=i) for i in range(DAYS_AHEAD)]
    now, end = utcnow(), local_day_bounds(days[-1], tz)[1]
    assigned, due, estimate = open_assignments(current_user)
    hours = fn.COALESCE(fn.SUM(estimate), 0)
    totals = assigned.select(Assignment.user, fn.COUNT(SQL("*")), hours).group_by(Assignment.user)
    load = {
        u.id: {"name": u.name, "overdue": [0, 0.0], "none": [0, 0.0], "days": []}
        for u in visible_people()
    }
    for person in load.values():
        person["days"] = [[0, 0.0] for _ in days]
    for key, query in (
        ("overdue", totals.where(due_before(now, due))),
        ("none", totals.where(due.is_null())),
    ):
        for user_id, count, total in query.tuples():
            if user_id in load:
                load[user_id][key] = [count, float(total)]
    # Spelt as a range of the due date (due_before): on the orders, of the open work's due
    # date index, which carries the estimated hours; without it PostgreSQL read the week's
    # orders of every status from the calendar's index and dropped the finished ones (15,000
    # rows for 3,700). On the assignments, of their partial index.
    week = assigned.select(Assignment.user, due, estimate).where(due_before(end, due), due >= now)
    for user_id, due_at, planned in week.tuples():
        if user_id in load:
            local_day = due_at.replace(tzinfo=datetime.UTC).astimezone(zone(tz)).date()
            cell = load[user_id]["days"][(local_day - today).days]
            cell[0] += 1
            cell[1] += float(planned or 0)
    return days, sorted(load.values(), key=lambda p: p["name"])
