"""Claims on the outbox's rows, for the delivery run (models/smtp_delivery.py): a worker
claims a batch with a lease, and only the holder of a row's current claim can mark it sent,
retried or failed. A lease that ends (the worker died, or hung) lets another take it over.

Temporary failures wait with exponential backoff (30 s doubling to 30 min) and fail after
GIVE_UP_AFTER; an admin can send a failed email again (OutboxEmail.retry)."""

import datetime
import os
import uuid

from .base import db, is_postgres, utcnow
from .outbox import GIVE_UP_AFTER, RETRY_FIRST, RETRY_MAX, OutboxEmail


def lease_length():
    """How long a claim holds a row before another worker may take it over."""
    return datetime.timedelta(seconds=float(os.environ.get("OUTBOX_LEASE_SECONDS", 120)))


def claim_due(limit, now=None):
    """Claim up to `limit` rows due now (waiting ones, and ones whose claim's lease ended)
    for one worker; returns (token, rows). On PostgreSQL rows another worker is claiming
    are skipped; on SQLite the claim's write lock serialises workers."""
    now = now or utcnow()
    token = uuid.uuid4().hex
    claimable = OutboxEmail.status.in_(("pending", "sending")) & (
        OutboxEmail.next_attempt_at <= now
    )
    with db.atomic():
        ids = (
            OutboxEmail.select(OutboxEmail.id)
            .where(claimable)
            .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
            .limit(limit)
        )
        if is_postgres():
            ids = ids.for_update("FOR UPDATE SKIP LOCKED")
        ids = [row_id for (row_id,) in ids.tuples()]
        if not ids:
            return token, []
        OutboxEmail.update(
            status="sending", claim=token, next_attempt_at=now + lease_length()
        ).where(OutboxEmail.id.in_(ids), claimable).execute()
    rows = list(
        OutboxEmail.select()
        .where(OutboxEmail.id.in_(ids), OutboxEmail.claim == token)
        .order_by(OutboxEmail.id)
    )
    return token, rows


def _held(row, token):
    return (OutboxEmail.id == row.id) & (OutboxEmail.claim == token)


def mark_sent(row, token, now=None):
    """Sent, if this worker still holds the claim (True); False when another took it over."""
    with db.atomic():
        return bool(
            OutboxEmail.update(status="sent", sent_at=now or utcnow(), last_error="")
            .where(_held(row, token), OutboxEmail.status == "sending")
            .execute()
        )


def unmark_sent(row, token, error, permanent, now=None):
    """The server refused the message at its end after all: back to waiting, or failed."""
    with db.atomic():
        OutboxEmail.update(status="sending", sent_at=None, next_attempt_at=now or utcnow()).where(
            _held(row, token), OutboxEmail.status == "sent"
        ).execute()
    (mark_failed if permanent else mark_retry)(row, token, error, now)


def mark_failed(row, token, error, now=None):
    with db.atomic():
        OutboxEmail.update(
            status="failed", attempts=OutboxEmail.attempts + 1, last_error=str(error)[:500]
        ).where(_held(row, token), OutboxEmail.status == "sending").execute()


def retry_delay(attempts):
    """30 s, 1 min, 2 min, ... up to 30 min between attempts (OUTBOX_RETRY_SECONDS sets
    the first delay: the queue tests shorten it)."""
    first = float(os.environ.get("OUTBOX_RETRY_SECONDS", RETRY_FIRST.total_seconds()))
    return min(datetime.timedelta(seconds=first) * (2 ** max(attempts - 1, 0)), RETRY_MAX)


def mark_retry(row, token, error, now=None, count_attempt=True):
    """A temporary failure: try again after a growing delay; give up after GIVE_UP_AFTER."""
    now = now or utcnow()
    attempts = row.attempts + (1 if count_attempt else 0)
    fields = {
        "status": "pending",
        "attempts": attempts,
        "next_attempt_at": now + retry_delay(max(attempts, 1)),
        "last_error": str(error)[:500],
        "claim": None,
    }
    if now - row.created_at > GIVE_UP_AFTER:
        fields.update(status="failed", last_error=f"Gave up after {attempts} attempts: {error}")
    with db.atomic():
        OutboxEmail.update(**fields).where(
            _held(row, token), OutboxEmail.status == "sending"
        ).execute()


def keep_local(now=None):
    """No SMTP server configured: waiting mail stays in the local outbox, marked kept, and
    is never sent later (turning SMTP on does not flood people with old mail)."""
    with db.atomic():
        return (
            OutboxEmail.update(status="kept", sent_at=now or utcnow(), claim=None)
            .where(OutboxEmail.status.in_(("pending", "sending")))
            .execute()
        )


def next_due_at():
    """When the earliest waiting or claimed row is next due, or None."""
    return (
        OutboxEmail.select(OutboxEmail.next_attempt_at)
        .where(OutboxEmail.status.in_(("pending", "sending")))
        .order_by(OutboxEmail.next_attempt_at)
        .scalar()
    )
