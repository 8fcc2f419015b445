"""The home page: each person's dashboard. Managers see the state of the work they run,
technicians their own day, client users their own figures; every number links to the list
(or report) behind it."""

import datetime

from flask import Blueprint
from flask_login import current_user, login_required
from peewee import SQL, fn

from models import Asset, Client, Location, Project, utcnow
from models.clock import local_day_bounds, utc_to_local
from models.compliance import pm_compliance
from models.dashboard import assets_down, client_kpis, my_day, open_counts, workload
from models.visibility import visible

from .rendering import render

bp = Blueprint("home", __name__)
PM_DAYS = 30


@bp.route("/")
@login_required
def index():
    """The dashboard of the signed-in person's role."""
    now = utcnow()
    tz = current_user.timezone or "UTC"
    today = utc_to_local(now, tz).date()
    monday = today - datetime.timedelta(days=today.weekday())
    sunday = monday + datetime.timedelta(days=6)
    week = (local_day_bounds(monday, tz)[0], local_day_bounds(sunday, tz)[1])
    context = {
        "today": today,
        "monday": monday,
        "sunday": sunday,
        "role": current_user.role,
        "counts": _hierarchy_counts(),
        "attention": _attention(),
    }
    if current_user.role == "technician":
        counts, rows, done = my_day(current_user, now, local_day_bounds(today, tz))
        context.update(mine=counts, today_rows=rows, done_today=done, tz=tz)
    else:
        context["work"] = open_counts(current_user, now, week)
        context["down"] = assets_down(current_user)
    if current_user.role in ("admin", "manager"):
        since = today - datetime.timedelta(days=PM_DAYS)
        context.update(
            pm=pm_compliance(current_user, now - datetime.timedelta(days=PM_DAYS), now),
            pm_since=since,
            workload=workload(current_user, now),  # (loads, counted at)
        )
    if current_user.role == "client":
        kpis = client_kpis(current_user, now)
        context.update(
            kpis=kpis,
            pm=pm_compliance(current_user, now - datetime.timedelta(days=kpis["days"]), now),
            kpi_from=today - datetime.timedelta(days=kpis["days"]),
        )
    return render("home/index.html", **context)


def _attention(limit=10):
    """Assets down, then degraded: one short index walk per status, not a sort of every
    live asset."""
    found = []
    for status in ("down", "degraded"):
        found += list(
            visible(Asset, current_user)
            .where(Asset.status == status)
            .order_by(Asset.name)
            .limit(limit - len(found))
        )
        if len(found) >= limit:
            break
    return found


def _hierarchy_counts():
    return {
        model.__name__.lower(): visible(model, current_user, fn.COUNT(SQL("*"))).scalar()
        for model in (Location, Client, Project, Asset)
    }
