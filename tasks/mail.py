"""Email delivery: the outbox's rows go out over SMTP (SMTP_URL), or stay in the local
outbox when there is none.

A change that writes outbox rows wakes delivery after its commit (models/outbox.py). A
wake is one queued run however many commits ask for it: a flag in Huey's storage is set
when the run is queued and cleared when it starts. A run that claims a full batch wakes
another run first, so every worker thread helps with a backlog. Retries after temporary
failures, and rows a dead worker had claimed, are picked up by a timer run and by the
sweep every minute; a consumer that starts kicks a run at once.
"""

import datetime
import logging

from flask import current_app
from huey import crontab

from models.base import utcnow
from models.outbox_claims import next_due_at
from models.smtp_delivery import deliver_due

from . import huey
from .housekeeping import with_database

log = logging.getLogger(__name__)

WAKE_FLAG = "outbox:wake"
TIMER_FLAG = "outbox:timer"


def wake():
    """Queue one delivery run unless one is already waiting to start."""
    if huey.storage.put_if_empty(WAKE_FLAG, b"1"):
        deliver(WAKE_FLAG)


@huey.task(retries=3, retry_delay=10)
@with_database
def deliver(flag=WAKE_FLAG):
    """Send what is due, batch after batch, until nothing is; then set a timer for the
    next retry if it is due within the minute (the sweep covers later ones)."""
    huey.storage.pop_data(flag)  # from now on a new commit queues a new run
    totals = deliver_due(current_app.config.get("SMTP_URL"), on_full_batch=wake)
    _set_timer()
    return totals


def _set_timer():
    due = next_due_at()
    if due is None:
        return
    delay = (due - utcnow()).total_seconds()
    if 0 < delay <= 60 and huey.storage.put_if_empty(TIMER_FLAG, b"1"):
        deliver.schedule(args=(TIMER_FLAG,), delay=datetime.timedelta(seconds=delay + 0.5))


@huey.periodic_task(crontab(minute="*"))
def sweep_outbox():
    """Why periodic: mail whose wake was lost (queue down at commit time), retries, and
    rows claimed by a worker that died are all delivered within a minute or so."""
    huey.storage.pop_data(WAKE_FLAG)
    wake()


@huey.on_startup()
def kick_on_start():
    """A restarted worker delivers what is waiting at once, not at the next sweep."""
    huey.storage.pop_data(WAKE_FLAG)
    wake()
