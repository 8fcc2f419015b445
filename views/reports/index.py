"""Where reports start: the kinds of report, quick links to recent periods, and the page
that defines every KPI in words."""

import datetime

from flask import redirect, request, url_for
from flask_login import current_user, login_required

from models import Asset, WorkOrder, utcnow
from models.clock import utc_to_local
from models.periods import last_complete_month, month, quarter
from models.visibility import visible

from ..rendering import render
from . import bp
from .period import REPORTING_ROLES, choices


def recent_periods(today):
    """Quick picks: this month so far, the last three whole months, this and last quarter."""
    this_month = month(today.year, today.month)
    months = [last_complete_month(today)]
    for _ in range(2):
        months.append(months[-1].previous())
    this_quarter = quarter(today.year, (today.month - 1) // 3 + 1)
    return [this_month, *months, this_quarter, this_quarter.previous()]


@bp.route("")
@login_required
def index():
    """The report kinds, with a form for each."""
    today = utc_to_local(utcnow(), current_user.timezone or "UTC").date()
    client = current_user.client if current_user.role == "client" else None
    return render(
        "reports/index.html",
        may_period=current_user.role in REPORTING_ROLES,
        options=choices(client),
        client=client,
        periods=recent_periods(today),
        today=today,
        not_found=request.args.get("missing"),
    )


@bp.route("/find")
@login_required
def find():
    """An asset tag or a work order number typed on the reports page, to its report."""
    kind, text = request.args.get("kind"), request.args.get("q", "").strip()[:60]
    if kind == "asset" and text:
        asset = visible(Asset, current_user, archived=True).where(Asset.tag == text).first()
        if asset:
            return redirect(url_for("reports.asset_history", asset=asset.id))
    if kind == "service" and text:
        digits = text.upper().removeprefix("WO-").lstrip("0")
        if digits.isdigit() and len(digits) < 10:
            order = visible(WorkOrder, current_user).where(WorkOrder.number == int(digits)).first()
            if order:
                return redirect(url_for("reports.service", order=order.id))
    return redirect(url_for("reports.index", missing=kind if kind in ("asset", "service") else ""))


@bp.route("/kpis")
@login_required
def kpis():
    """What each KPI means and how it is worked out: the definitions in models/kpi.py."""
    return render("reports/kpis.html", follow_up_days=7, today=datetime.date.today())
