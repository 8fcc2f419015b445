"""My work: a technician's own orders for today, overdue, coming up and just done, with
one-tap start and complete, made for a phone on site."""

import datetime

from flask import url_for
from flask_login import current_user, login_required
from peewee import SQL, fn

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
SECTIONS = ("overdue", "today", "upcoming", "unscheduled")


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
    ids = _open_by_section(mine, now, day_end, horizon)
    # A phone shows the first few of each section; the rest are one tap away in the list.
    shown = [order_id for key in SECTIONS for order_id in ids[key][:PER_SECTION]]
    picks = {
        "shown": mine.where(WorkOrder.id.in_(shown)),
        "done": mine.where(
            WorkOrder.status.in_(("completed", "closed")),
            WorkOrder.completed_at >= now - datetime.timedelta(days=RECENT_DAYS),
        )
        .order_by(WorkOrder.completed_at.desc())
        .limit(PER_SECTION),
    }
    found = read_picks(picks, WorkOrder.id)
    cards = {order.id: order for order in found["shown"]}
    groups = {key: [cards[i] for i in ids[key][:PER_SECTION] if i in cards] for key in SECTIONS}
    done = sorted(found["done"], key=lambda order: order.completed_at, reverse=True)
    with_names([*cards.values(), *done])
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
        counts={key: len(ids[key]) for key in SECTIONS},
        links=links,
        done=done,
        now=now,
        status_labels=STATUS_LABELS,
        upcoming_days=UPCOMING_DAYS,
    )


def _open_by_section(mine, now, day_end, horizon):
    """{section: ids of the person's open orders in it, soonest due first, then the most
    urgent}: every open order of theirs is read in one query (a few hundred ids, due dates
    and priorities, from the open work index of their projects) and sorted here, which
    gives each section's count and its first cards without a query per section."""
    rows = mine.select(WorkOrder.id, WorkOrder.due_at, PRIORITY_RANK).where(is_open()).tuples()
    ids = {key: [] for key in SECTIONS}
    undated = datetime.datetime.min  # alone in its section: any date sorts them by priority
    soonest = sorted(rows, key=lambda row: (row[1] or undated, -row[2], row[0]))
    for order_id, due_at, _rank in soonest:
        if due_at is None:
            ids["unscheduled"].append(order_id)
        elif due_at < now:
            ids["overdue"].append(order_id)
        elif due_at < day_end:
            ids["today"].append(order_id)
        elif due_at < horizon:
            ids["upcoming"].append(order_id)
    return ids
