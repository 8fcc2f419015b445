"""Alerts that come with time: due soon, overdue and escalation every five minutes,
warranties hourly, daily digests every quarter of an hour (each person's hour comes in
their own time zone). Each pass is safe on several workers at once: an alert is raised
once per state and a digest once per person and day, by unique rows in the database."""

from huey import crontab

from models.alert_detection import detect_due, detect_warranties
from models.alert_digest import send_digests

from . import huey
from .housekeeping import with_database


@huey.periodic_task(crontab(minute="*/5"))
@with_database
def detect_due_work():
    """Why periodic: work becomes due soon or overdue without anyone touching it."""
    return detect_due()


@huey.periodic_task(crontab(minute="7"))
@with_database
def detect_ending_warranties():
    """Why periodic: a warranty enters its last 30 days as the calendar turns."""
    return detect_warranties()


@huey.periodic_task(crontab(minute="*/15"))
@with_database
def send_daily_digests():
    """Why periodic: a person's digest hour comes round in their time zone."""
    return send_digests()
