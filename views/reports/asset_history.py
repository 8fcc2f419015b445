"""The asset history report: one asset's details, meters and every work order over a period
(the last twelve months unless chosen), with totals; a page, a PDF and a CSV."""

import datetime

from flask import current_app, request, url_for
from flask_login import current_user, login_required

from models import Asset, utcnow
from models.clock import utc_to_local
from models.kpi import Cover
from models.periods import Period, PeriodError, parse
from models.report_history import asset_orders, build_asset_history

from ..access import visible_or_404
from ..listing import id_arg
from ..rendering import render
from . import bp
from .branding import letterhead
from .output import csv_response, document, paper_arg, pdf_response


def _period(tz):
    today = utc_to_local(utcnow(), tz).date()
    if not request.args.get("period"):
        year_ago = today.replace(day=1) - datetime.timedelta(days=365)
        return Period("range", year_ago.replace(day=1), today)
    return parse(request.args, today)


def absolute(path):
    return current_app.config["BASE_URL"].rstrip("/") + path


@bp.route("/asset-history")
@login_required
def asset_history():
    """For anyone who may see the asset (404 otherwise), client users included."""
    asset = visible_or_404(Asset, id_arg("asset"))
    tz = asset.location.timezone
    context = {"asset": asset, "tz": tz, "errors": {}, **letterhead(current_user.organisation)}
    try:
        chosen = _period(tz)
    except PeriodError as error:
        context["errors"][error.field] = str(error)
        return render(
            "reports/asset_history.html", status=422, history=None, chosen=None, **context
        )
    start, end = chosen.bounds(tz)
    args = {"asset": asset.id, **chosen.query_args()}
    name = f"Asset history {asset.tag} {chosen.label}"
    output = request.args.get("format", "html")
    if output == "csv":
        rows = [
            (
                o.reference,
                utc_to_local(o.created_at, tz),
                utc_to_local(o.completed_at, tz),
                o.type,
                o.status,
                o.title,
                round(o.labour_minutes / 60, 2),
                o.parts_cost,
                round(o.downtime_minutes / 60, 2),
            )
            for o in asset_orders(Cover(current_user, asset_id=asset.id), start, end)
        ]
        header = [
            "number",
            "raised (site time)",
            "completed (site time)",
            "type",
            "status",
            "title",
            "labour hours",
            "parts cost",
            "downtime hours",
        ]
        return csv_response(header, rows, name)
    history = build_asset_history(current_user, asset, start, end)
    context.update(
        history=history,
        chosen=chosen,
        args=args,
        permalink=absolute(url_for("reports.asset_history", **args)),
    )
    if output == "pdf":
        paper = paper_arg("letter" if tz.startswith("America/") else "a4")
        html = document("reports/_asset_history_body.html", name, paper, context)
        return pdf_response(html, name)
    return render("reports/asset_history.html", **context)
