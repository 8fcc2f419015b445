"""Scheduled report delivery: hourly, because a delivery's day begins at a different hour in
each client's time zone. Safe to run on several workers at once (see models/report_delivery)."""

from huey import crontab

from models.report_delivery import send_due

from . import huey
from .housekeeping import with_database


@huey.periodic_task(crontab(minute="23"))
@with_database
def send_scheduled_reports():
    """Why periodic: a delivery's day comes round without anyone doing anything."""
    return send_due()
