"""The period report's tables as CSV rows: every row (the page and the PDF cap their lists),
through the same covered queries, so a CSV never holds a row the person cannot see. Times
are the site's local time, as on the page."""

from .clock import utc_to_local
from .reports import (
    build_period_report,
    downtime_by_asset,
    labour_by_technician,
    open_work,
    pm_by_schedule,
    top_failing_assets,
    work_done,
)

TABLES = {
    "summary": "Summary",
    "trend": "Trend",
    "work": "Work done",
    "pm": "Preventive maintenance",
    "open": "Open work",
    "downtime": "Downtime per asset",
    "labour": "Labour",
    "assets": "Assets with the most corrective work",
}


def _hours(minutes):
    return round((minutes or 0) / 60, 2)


def _summary(report):
    s = report.summary
    return ["measure", "value"], [
        ("Work orders raised", s["raised"]),
        ("Work orders completed", s["completed"]),
        ("Corrective work completed", s["corrective"]),
        ("Planned work completed", s["planned"]),
        ("PM occurrences due", s["pm"].due),
        ("PM done on time", s["pm"].on_time),
        ("PM compliance %", s["pm"].percent),
        ("MTTR hours", s["mttr"].value),
        ("MTBF hours", s["mtbf"].value),
        ("First-time fix %", s["first_time_fix"].percent),
        ("Downtime hours", s["downtime_hours"]),
        ("Open at period end", s["open"]),
        ("Overdue at period end", s["overdue"]),
        ("Labour hours", _hours(s["labour_minutes"])),
        ("Parts cost", s["parts_cost"]),
    ]


def _trend(report):
    header = [
        "period",
        "corrective completed",
        "planned completed",
        "MTTR hours",
        "downtime hours",
        "open at end",
        "PM compliance %",
        "first-time fix %",
    ]
    return header, [
        (
            p.label.replace("\n", " "),
            p.corrective,
            p.planned,
            p.mttr_hours,
            p.downtime_hours,
            p.backlog,
            p.pm_percent,
            p.first_time_fix,
        )
        for p in report.trend
    ]


def _order_cells(order, tz):
    asset = order.asset_row if order.asset_id else None
    return (
        order.reference,
        order.type,
        order.status,
        asset.tag if asset else "",
        asset.name if asset else "",
        order.title,
    )


def period_table(name, cover, period, tz, now):
    """(header, rows) of one table of the period report."""
    start, end = period.bounds(tz)
    at = min(end, now)
    if name in ("summary", "trend"):
        report = build_period_report(cover, period, tz, now)
        return (_summary if name == "summary" else _trend)(report)
    common = ["number", "type", "status", "asset tag", "asset", "title"]
    if name == "work":
        header = ["completed (site time)", *common, "labour hours", "parts cost"]
        rows = [
            (
                utc_to_local(o.completed_at, tz),
                *_order_cells(o, tz),
                _hours(o.labour_minutes),
                o.parts_cost,
            )
            for o in work_done(cover, start, end)
        ]
        return header, rows
    if name == "open":
        header = ["raised (site time)", "due (site time)", *common, "age days", "overdue"]
        rows = [
            (
                utc_to_local(o.created_at, tz),
                utc_to_local(o.due_at, tz),
                *_order_cells(o, tz),
                round((at - o.created_at).total_seconds() / 86400, 1),
                "yes" if o.due_at and o.due_at < at else "no",
            )
            for o in open_work(cover, at)
        ]
        return header, rows
    if name == "pm":
        header = [
            "schedule",
            "asset or category",
            "due",
            "on time",
            "late",
            "missed",
            "pending",
            "compliance %",
        ]
        rows = [
            (
                s.title,
                s.asset_row.tag if s.asset_id else s.category,
                c.due,
                c.on_time,
                c.late,
                c.missed,
                c.pending,
                c.percent,
            )
            for s, c in pm_by_schedule(cover, start, end, now=now)
        ]
        return header, rows
    if name == "downtime":
        rows = [
            (tag, asset, hours, n)
            for _, tag, asset, hours, n in downtime_by_asset(cover, start, end)
        ]
        return ["asset tag", "asset", "downtime hours", "periods"], rows
    if name == "labour":
        rows = [(who, n, _hours(m)) for who, n, m in labour_by_technician(cover, start, end)]
        return ["technician", "orders", "hours"], rows
    if name == "assets":
        rows = [
            (tag, asset, n, utc_to_local(last, tz))
            for _, tag, asset, n, last in top_failing_assets(cover, start, end)
        ]
        return ["asset tag", "asset", "corrective orders", "last raised (site time)"], rows
    raise KeyError(name)
