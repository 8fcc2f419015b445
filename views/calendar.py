"""The calendar: due work by month or week in the viewer's time zone, with each
technician's weekly load for managers. Printable, and usable without JavaScript.

A page costs a constant number of queries whatever the number of orders: the days' UTC
bounds are worked out here (so daylight-saving days are 23 or 25 hours long); each day's
first orders and its count (up to ORDER_CAP) are one capped index range read per day, all
in one statement, and the weekly workload groups by the weeks' bounds in one CASE.
"""

import datetime
from dataclasses import dataclass, field

from flask import Blueprint, request, url_for
from flask_login import current_user, login_required
from peewee import JOIN, SQL, Case, fn

from models import Asset, Assignment, User, WorkOrder
from models.calendar_days import first_per_period, per_period_in_one_read, tally
from models.clock import local_day_bounds, zone
from models.visibility import visible
from models.work_order import STATUS_LABELS, STATUSES
from models.workload import open_assignments

from .calendar_forecast import ForecastDay, forecast_days
from .listing import id_arg
from .rendering import render, url_with
from .work_orders.dispatch import filter_options as dispatch_filter_options

bp = Blueprint("calendar", __name__)

SHOWN_PER_DAY = {"month": 4, "week": 12}  # the rest of a crowded day is one "+N more" link
ORDER_CAP = 100  # a day's orders are counted up to this ("+96+ more" beyond)
FIRST_YEAR, LAST_YEAR = 1970, 2200  # dates outside are refused (and would overflow)
SHOWN_STATUSES = tuple(s for s in STATUSES if s != "cancelled")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class Day:
    date: datetime.date
    in_range: bool
    is_today: bool
    orders: list = field(default_factory=list)
    total: int = 0
    forecast: ForecastDay = field(default_factory=ForecastDay)
    more_url: str = ""

    @property
    def more(self):
        return self.total - len(self.orders)

    @property
    def capped(self):
        return self.total >= ORDER_CAP


def _today(tz):
    return datetime.datetime.now(zone(tz)).date()


def _view_args(tz):
    """view ("month" or "week") and the date it shows, from the URL; nonsense falls back
    to this month, with a notice."""
    view = "week" if request.args.get("view") == "week" else "month"
    notices, raw = [], request.args.get("date", "")
    anchor = None
    if raw:
        try:
            anchor = datetime.date.fromisoformat(raw)
        except ValueError:
            anchor = None
        if anchor is None or not (FIRST_YEAR <= anchor.year <= LAST_YEAR):
            notices.append("That date could not be read; showing today.")
            anchor = None
    return view, anchor or _today(tz), notices


def span(view, anchor):
    """The first and last day the grid shows: whole weeks, Monday first."""
    if view == "week":
        first = anchor - datetime.timedelta(days=anchor.weekday())
        return first, first + datetime.timedelta(days=6)
    month_start = anchor.replace(day=1)
    next_month = (month_start + datetime.timedelta(days=32)).replace(day=1)
    first = month_start - datetime.timedelta(days=month_start.weekday())
    last = next_month - datetime.timedelta(days=1)
    return first, last + datetime.timedelta(days=6 - last.weekday())


def _filters(user):
    """Filters from the URL. A technician sees their own assignments unless they ask for
    everyone (technician=all); anyone else sees everyone unless they pick a person."""
    raw = request.args.get("technician", "")
    if raw == "all":
        technician = None
    elif raw in ("", "me"):
        technician = user.id if (user.role == "technician" or raw == "me") else None
    else:
        technician = id_arg("technician")
    return {
        "location": id_arg("location"),
        "client": id_arg("client"),
        "project": id_arg("project"),
        "technician": technician,
    }


def calendar_orders(user, filters):
    """The visible, not cancelled orders the filters leave (no date range, no columns)."""
    # An IN list, not "!= cancelled": the (organisation/project/..., status, due_at) indexes
    # then serve the due date range once per status instead of scanning every status.
    query = visible(WorkOrder, user).where(WorkOrder.status.in_(SHOWN_STATUSES))
    for name in ("location", "client", "project"):
        if filters[name]:
            query = query.where(getattr(WorkOrder, name) == filters[name])
    if filters["technician"]:
        query = query.where(
            WorkOrder.id.in_(
                Assignment.select(Assignment.work_order).where(
                    Assignment.user == filters["technician"]
                )
            )
        )
    return query


def _bucket(column, bounds, lo=0, hi=None):
    """An expression giving the index of the period (day or week) `column` falls in, for
    bounds[0] <= column < bounds[-1]: nested CASEs that halve the periods at each level, so
    a row costs about log2(periods) comparisons (6 for a month) instead of up to 41."""
    hi = len(bounds) - 1 if hi is None else hi
    if hi - lo == 1:
        return SQL(str(lo))
    mid = (lo + hi) // 2
    return Case(None, [(column < bounds[mid], _bucket(column, bounds, lo, mid))],
                _bucket(column, bounds, mid, hi))  # fmt: skip


def day_orders(query, bounds, shown, one_person=False):
    """The first `shown` orders of each day (by due time) and each day's count up to
    ORDER_CAP, in two queries: one capped range read per day (models/calendar_days.py), then the
    shown rows by id. One person's orders (`one_person`) are read in one range."""
    read = per_period_in_one_read if one_person else first_per_period
    rows = read(
        query.select(WorkOrder.id, WorkOrder.due_at), WorkOrder.due_at, WorkOrder.id, bounds,
        ORDER_CAP,
    )  # fmt: skip
    first, counts = tally(rows, len(bounds) - 1, shown)
    if not first:
        return [], counts
    orders = list(
        WorkOrder.select(
            WorkOrder.id,
            WorkOrder.number,
            WorkOrder.title,
            WorkOrder.status,
            WorkOrder.priority,
            WorkOrder.due_at,
            Asset.tag.alias("asset_tag"),
        )
        .join_from(WorkOrder, Asset, JOIN.LEFT_OUTER, on=(WorkOrder.asset == Asset.id))
        .where(WorkOrder.id.in_(list(first)))
        .order_by(WorkOrder.due_at, WorkOrder.id)
        .objects()
    )
    for order in orders:
        order.day = first[order.id]
    return orders, counts


def workload(query, week_bounds, filters):
    """Per technician and week: the open work assigned to them (orders and estimated hours),
    what is still to be done, in one query. Grouped by the assignment's user id first and
    named after, so the names are looked up once per person, not once per order."""
    narrowed = any(filters[name] for name in ("location", "client", "project"))
    rows, due, hours = open_assignments(current_user, query if narrowed else None)
    rows = rows.where(due >= week_bounds[0], due < week_bounds[-1])
    if filters["technician"]:
        rows = rows.where(Assignment.user == filters["technician"])
    grouped = (
        rows.select(
            Assignment.user.alias("uid"),
            _bucket(due, week_bounds).alias("week"),
            fn.COUNT(SQL("*")).alias("orders"),
            fn.SUM(hours).alias("hours"),
        )
        .group_by(Assignment.user, SQL("2"))
        .alias("load")
    )
    rows = (
        User.select(User.id, User.name, grouped.c.week, grouped.c.orders, grouped.c.hours)
        .join(grouped, on=(User.id == grouped.c.uid))
        .order_by(User.name, User.id)
        .dicts()
    )
    people = {}
    for row in rows:
        person = people.setdefault(row["id"], {"name": row["name"], "weeks": {}})
        person["weeks"][row["week"]] = (row["orders"], float(row["hours"] or 0))
    return list(people.values())


def _more_url(day, filters):
    tech = filters["technician"]
    return url_for(
        "work_orders.index",
        status="all",
        due_from=day.isoformat(),
        due_to=day.isoformat(),
        location=filters["location"],
        client=filters["client"],
        project=filters["project"],
        assignee=("me" if tech == current_user.id else tech) if tech else None,
    )


def day_bounds(first, last, tz):
    """The grid's dates and the UTC instants between them (one more than the dates)."""
    dates = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    return dates, [local_day_bounds(d, tz)[0] for d in dates] + [local_day_bounds(last, tz)[1]]


def build_days(dates, tz, month, orders, forecast, filters):
    """The grid's days with their orders (day_orders' orders and counts) and forecast (a
    ForecastDay per day); `month` (a number, or None for the week view) greys out the days
    of the months around it."""
    today = _today(tz)
    days = [Day(d, month is None or d.month == month, d == today) for d in dates]
    orders, counts = orders
    for order in orders:
        days[order.day].orders.append(order)
    for day, count in zip(days, counts, strict=True):
        day.total = count
    for day, planned in zip(days, forecast, strict=True):
        day.forecast = planned
    for day in days:
        if day.more:
            day.more_url = _more_url(day.date, filters)
    return days


def _navigation(view, anchor, first):
    if view == "week":
        step = datetime.timedelta(days=7)
        prev_date, next_date = first - step, first + step
        last = first + datetime.timedelta(days=6)
        title = f"Week {first.isocalendar().week}, {first:%d %b} – {last:%d %b %Y}"
    else:
        month = anchor.replace(day=1)
        prev_date = (month - datetime.timedelta(days=1)).replace(day=1)
        next_date = (month + datetime.timedelta(days=32)).replace(day=1)
        title = f"{month:%B %Y}"
    return {
        "title": title,
        "prev": url_with(date=prev_date.isoformat()),
        "next": url_with(date=next_date.isoformat()),
        "today": url_with(date=None),
        "month": url_with(view=None),
        "week": url_with(view="week"),
    }


def filter_options(filters):
    """The dropdowns, as the work order list reads them: one query, and the projects of the
    chosen client or location (or all, up to 500) rather than 2,000 options a page."""
    options = dispatch_filter_options(filters)
    return {
        "locations": options["locations"],
        "clients": options["clients"],
        "projects": options["projects"],
        "more_projects": options["more_projects"],
        "technicians": [(i, name) for i, name in options["assignees"] if isinstance(i, int)],
    }


@bp.route("/calendar")
@login_required
def index():
    """Due work on a month or week grid, for planning and for printing on the wall."""
    tz = current_user.timezone or "UTC"
    view, anchor, notices = _view_args(tz)
    filters = _filters(current_user)
    first, last = span(view, anchor)
    dates, bounds = day_bounds(first, last, tz)
    query = calendar_orders(current_user, filters)
    orders = day_orders(query, bounds, SHOWN_PER_DAY[view], bool(filters["technician"]))
    forecast = forecast_days(current_user, bounds, filters)
    month = anchor.month if view == "month" else None
    days = build_days(dates, tz, month, orders, forecast, filters)
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    load = None
    if current_user.is_manager:
        load = workload(query, bounds[::7], filters)  # whole weeks: every 7th bound
    return render(
        "calendar/index.html",
        "calendar",
        view=view,
        anchor=anchor,
        weeks=weeks,
        weekdays=WEEKDAYS,
        nav=_navigation(view, anchor, first),
        filters=filters,
        technician_arg=request.args.get("technician", ""),
        options=filter_options(filters),
        workload=load,
        notices=notices,
        tz=tz,
        status_labels=STATUS_LABELS,
    )
