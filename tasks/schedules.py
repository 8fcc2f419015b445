"""Preventive maintenance: every five minutes, create the work orders schedules have due;
every hour, move the calendar's forecast on to its horizon."""

from huey import crontab

from models.forecast import extend_forecast
from models.generation import run_pass

from . import huey
from .housekeeping import with_database


@with_database
def generate_due():
    """One generation pass; safe to run on several workers at once (each occurrence is
    unique in the database) and after downtime (the schedule's missed policy applies)."""
    return run_pass()


@huey.periodic_task(crontab(minute="*/5"))
def generate_schedules():
    """Why periodic: orders appear when they enter their lead time, without anyone asking."""
    return generate_due()


@huey.periodic_task(crontab(minute="40"))
@huey.lock_task("extend-forecast")
@with_database
def extend_forecasts():
    """Why periodic: the forecast is kept 13 months ahead, and each day one more day enters
    that window; schedules that have no forecast yet (after an upgrade) get theirs too."""
    return extend_forecast()
