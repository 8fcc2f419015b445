"""My work: a technician's own orders for today, overdue, coming up and just done, with
one-tap start and complete, made for a phone on site."""

import datetime

from flask import url_for
from flask_login import current_user, login_required
from peewee import SQL, Case, fn

from models import Assignment, WorkOrder
from models.clock import local_day_bounds, zone
from models.visibility import visible
from models.work_order import STATUS_LABELS, is_open

from ..rendering import render
from . import bp
from .dispatch import PRIORITY_RANK
from .rows import read_picks, with_names

UPCOMING_DAYS = 14
PER_SECTION = 10
RECENT_DAYS = 7


@bp.route("/my-work")
@login_required
def my_work():
    """The signed-in person's assigned orders, grouped by when they are due."""
    tz = current_user.timezone
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    today = datetime.datetime.now(zone(tz)).date()
    day_end = local_day_bounds(today, tz)[1]
    horizon = local_day_bounds(today + datetime.timedelta(days=UPCOMING_DAYS), tz)[1]
    # EXISTS, not IN: the planner then starts from the open (or recently finished) work of
    # the person's projects, a few hundred rows, not from all their assignments ever made
    # (thousands of finished orders, each looked up).
    assigned = fn.EXISTS(
        Assignment.select(SQL("1")).where(
            Assignment.work_order == WorkOrder.id, Assignment.user == current_user.id
        )
    )
    mine = visible(WorkOrder, current_user).where(assigned)
    sections = {
        "overdue": WorkOrder.due_at < now,
        "today": (WorkOrder.due_at >= now) & (WorkOrder.due_at < day_end),
        "upcoming": (WorkOrder.due_at >= day_end) & (WorkOrder.due_at < horizon),
        "unscheduled": WorkOrder.due_at.is_null(),
    }
    # A phone shows the first few of each section; the rest are one tap away in the list.
    soonest = (WorkOrder.due_at, PRIORITY_RANK.desc(), WorkOrder.id)
    picks = {
        key: mine.where(is_open(), condition).order_by(*soonest).limit(PER_SECTION)
        for key, condition in sections.items()
    }
    picks["done"] = (
        mine.where(
            WorkOrder.status.in_(("completed", "closed")),
            WorkOrder.completed_at >= now - datetime.timedelta(days=RECENT_DAYS),
        )
        .order_by(WorkOrder.completed_at.desc())
        .limit(PER_SECTION)
    )
    groups = read_picks(picks, *soonest)
    done = sorted(groups.pop("done"), key=lambda order: order.completed_at, reverse=True)
    with_names([order for group in groups.values() for order in group] + done)
    sums = [fn.SUM(Case(None, [(condition, 1)], 0)) for condition in sections.values()]
    counting = visible(WorkOrder, current_user, *sums).where(is_open(), assigned)
    counts = dict(zip(sections, counting.tuples().get(), strict=True))
    links = {
        "overdue": url_for("work_orders.index", assignee="me", overdue=1),
        "today": url_for("work_orders.index", assignee="me", due_from=today, due_to=today),
        "upcoming": url_for(
            "work_orders.index",
            assignee="me",
            due_from=today + datetime.timedelta(days=1),
            due_to=today + datetime.timedelta(days=UPCOMING_DAYS),
        ),
        "unscheduled": url_for("work_orders.index", assignee="me", sort="-due"),
    }
    return render(
        "work_orders/my_work.html",
        groups=groups,
        counts={key: count or 0 for key, count in counts.items()},
        links=links,
        done=done,
        now=now,
        status_labels=STATUS_LABELS,
        upcoming_days=UPCOMING_DAYS,
    )
