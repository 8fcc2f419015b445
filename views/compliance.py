"""PM compliance as the schedule and project pages show it: a period chosen in the URL
(`?period=30`, 90 or 365 days back from now) and the counts behind the ratio. The figures
come from models/compliance.py; this only picks the period."""

import datetime

from flask import request

from models import utcnow
from models.compliance import pm_compliance, pm_compliance_by

PERIODS = {30: "30 days", 90: "90 days", 365: "365 days"}
DEFAULT_PERIOD = 90


def period_arg():
    days = request.args.get("period", type=int)
    return days if days in PERIODS else DEFAULT_PERIOD


def compliance_context(user, **filters):
    """`compliance` (a models.compliance.Compliance) for occurrences due in the chosen
    period, with the period for the selector."""
    days, now = period_arg(), utcnow()
    start = now - datetime.timedelta(days=days)
    return {
        "compliance": pm_compliance(user, start, now, now=now, **filters),
        "period": days,
        "periods": PERIODS,
        "period_start": start,
    }


def worst_schedules(user, project, limit=5):
    """The project's schedules by compliance in the chosen period, lowest first (those
    with something due only): [(schedule id, Compliance)], in one query."""
    days, now = period_arg(), utcnow()
    found = pm_compliance_by(
        user, now - datetime.timedelta(days=days), now, "schedule", now=now, project=project
    )
    ranked = sorted(
        ((sid, c) for sid, c in found.items() if c.due),
        key=lambda item: (item[1].ratio, -item[1].due, item[0]),
    )
    return ranked[:limit]
