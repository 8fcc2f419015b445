"""Preventive maintenance: every five minutes, create the work orders schedules have due."""

from huey import crontab

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
