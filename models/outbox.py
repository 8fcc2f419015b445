"""The email outbox: every outgoing email is a row written in the transaction of the change
that caused it, and delivered by a Huey task only after that transaction commits.

Each email has an idempotency key (event, recipient, occurrence), unique in the database:
queueing the same email twice (a retried task, a duplicated event, two workers) leaves one
row, and `queue_email` returns None for the second. Delivery (models/smtp_delivery.py)
claims rows with a lease, so two workers never send the same row, and marks a row sent
just before the message's final dot (see there for why that makes it exactly once).

Statuses: pending (waiting, perhaps for a retry after a temporary failure), sending
(claimed by a worker until its lease ends), sent, failed (permanently: a bad address, or
temporary failures for too long), kept (no SMTP_URL: kept in the local outbox and never
sent), cancelled (its person unsubscribed before it went).
"""

import datetime
import hashlib
import json
import logging
import os
import uuid
from typing import NamedTuple

from flask import current_app, has_app_context
from peewee import (
    BlobField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    TextField,
)

from .base import BaseModel, choice_check, db, is_postgres, utcnow
from .organisation import Organisation
from .user import User

log = logging.getLogger(__name__)

STATUSES = ("pending", "sending", "sent", "failed", "kept", "cancelled")
STATUS_LABELS = {
    "pending": "Waiting",
    "sending": "Sending",
    "sent": "Sent",
    "failed": "Failed",
    "kept": "Kept here",
    "cancelled": "Cancelled",
}
RETRY_FIRST = datetime.timedelta(seconds=30)  # then doubled after each temporary failure
RETRY_MAX = datetime.timedelta(minutes=30)
GIVE_UP_AFTER = datetime.timedelta(days=3)  # of temporary failures: then failed, for an admin

_app = {}


def configure(app):
    """Settings and URLs for mail written outside a request (the app factory calls this)."""
    _app.update(config=app.config, url_map=app.url_map)


def setting(name, default=None):
    """A mail setting: the current app's, else the one the app factory configured."""
    if has_app_context():
        return current_app.config.get(name, default)
    return _app.get("config", {}).get(name) or default


def path_for(endpoint, **values):
    """url_for's path, also outside a request (a worker writing mail)."""
    url_map = current_app.url_map if has_app_context() else _app["url_map"]
    return url_map.bind("localhost").build(endpoint, values)


def lease_length():
    """How long a claim holds a row before another worker may take it over."""
    return datetime.timedelta(seconds=float(os.environ.get("OUTBOX_LEASE_SECONDS", 120)))


class Attachment(NamedTuple):
    filename: str
    content_type: str  # e.g. "application/pdf"
    content: bytes


class OutboxEmail(BaseModel):
    organisation = ForeignKeyField(Organisation, null=True, on_delete="CASCADE", index=False)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")  # the recipient, if a user
    event = CharField(max_length=40)
    recipient = CharField(max_length=254)
    occurrence = CharField(max_length=120)
    subject = CharField(max_length=500)
    text_body = TextField()
    html_body = TextField(default="")
    headers = TextField(default="{}")  # extra headers as JSON: List-Unsubscribe and so on
    message_id = CharField(max_length=200)
    status = CharField(
        max_length=10, default="pending", constraints=[choice_check("status", STATUSES)]
    )
    attempts = IntegerField(default=0)
    # When the row is next looked at: due now, after a retry delay, or when a claim's lease
    # ends (a worker that died holding it).
    next_attempt_at = DateTimeField(default=utcnow)
    claim = CharField(max_length=32, null=True)
    sent_at = DateTimeField(null=True)
    last_error = CharField(max_length=500, default="")

    class Meta:
        indexes = (
            (("event", "recipient", "occurrence"), True),
            (("status", "next_attempt_at"), False),
            (("organisation", "status", "id"), False),
        )

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    def header_dict(self):
        return json.loads(self.headers or "{}")

    @property
    def attachment_list(self):
        return list(
            OutboxAttachment.select(
                OutboxAttachment.id, OutboxAttachment.filename, OutboxAttachment.content_type
            )
            .where(OutboxAttachment.email == self.id)
            .order_by(OutboxAttachment.id)
        )

    @classmethod
    def for_organisation(cls, organisation_id, statuses=None):
        query = cls.select().where(cls.organisation == organisation_id)
        if statuses:
            query = query.where(cls.status.in_(statuses))
        return query.order_by(cls.id.desc())

    def retry(self, actor):
        """An admin sends a failed (or waiting) email again now."""
        from .audit import AuditEvent

        with db.atomic():
            changed = (
                type(self)
                .update(status="pending", attempts=0, next_attempt_at=utcnow(), last_error="")
                .where(type(self).id == self.id, type(self).status.in_(("failed", "pending")))
                .execute()
            )
            if changed:
                AuditEvent.record(
                    actor, "retry", self, summary=f"Email to {self.recipient}: {self.subject}"[:300]
                )
                wake_delivery_after_commit()
        return bool(changed)


class OutboxAttachment(BaseModel):
    """A file sent with an email, stored with it so both commit together."""

    email = ForeignKeyField(OutboxEmail, backref="attachments", on_delete="CASCADE")
    filename = CharField(max_length=200)
    content_type = CharField(max_length=100)
    content = BlobField()


def _message_id(event, recipient, occurrence):
    """The same Message-ID for the same key, so a receiver can tell a resend for what it is."""
    digest = hashlib.sha256(f"{event}\0{recipient}\0{occurrence}".encode()).hexdigest()[:32]
    domain = (setting("MAIL_FROM") or "fettle@localhost").rsplit("@", 1)[-1].strip(" >")
    return f"<{digest}@{domain or 'localhost'}>"


def queue_email(
    recipient,
    subject,
    text,
    html="",
    *,
    key,
    organisation=None,
    user=None,
    attachments=(),
    headers=None,
    unsubscribe_url=None,
):
    """Put an email in the outbox, in the caller's transaction; delivery is queued after
    it commits. `key` is (event, occurrence): with the recipient it is the email's
    idempotency key, so queueing it again returns None and writes nothing.

    `attachments` are Attachment(filename, content_type, content bytes); `unsubscribe_url`
    adds the List-Unsubscribe headers (one-click, RFC 8058)."""
    event, occurrence = key
    recipient = (recipient or "").strip()
    headers = dict(headers or {})
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    with db.atomic():
        try:
            with db.atomic():  # a savepoint: a duplicate rolls back this insert only
                email = OutboxEmail.create(
                    organisation=getattr(organisation, "id", organisation),
                    user=getattr(user, "id", user),
                    event=event[:40],
                    recipient=recipient[:254],
                    occurrence=str(occurrence)[:120],
                    subject=" ".join(subject.split())[:500],
                    text_body=text,
                    html_body=html or "",
                    headers=json.dumps(headers),
                    message_id=_message_id(event, recipient, occurrence),
                )
        except IntegrityError:
            if _exists(event, recipient, occurrence):
                return None
            raise
        for attachment in attachments:
            attachment = Attachment(*attachment)
            OutboxAttachment.create(
                email=email,
                filename=attachment.filename[:200],
                content_type=attachment.content_type[:100],
                content=attachment.content,
            )
        wake_delivery_after_commit()
    return email


def _exists(event, recipient, occurrence):
    return (
        OutboxEmail.select()
        .where(
            OutboxEmail.event == event[:40],
            OutboxEmail.recipient == recipient[:254],
            OutboxEmail.occurrence == str(occurrence)[:120],
        )
        .exists()
    )


def _wake_delivery():
    """Queue a delivery run (once the data it needs is committed). If the queue cannot be
    reached, the periodic sweep delivers the mail a minute later: never an error here."""
    try:
        from tasks.mail import wake  # tasks import models: imported when first needed

        wake()
    except Exception:  # noqa: BLE001 - the sweep is the fallback, the change is committed
        log.exception("Could not queue email delivery; the periodic sweep will send it")


def wake_delivery_after_commit():
    """One delivery run queued per transaction, after it commits (Peewee's after_commit)."""
    callbacks = getattr(getattr(db.obj, "_state", None), "commit_callbacks", None)
    if callbacks is not None and _wake_delivery in callbacks:
        return
    db.after_commit(_wake_delivery)


# Claims, used by the delivery run (models/smtp_delivery.py).


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
    """30 s, 1 min, 2 min, ... up to 30 min between attempts."""
    return min(RETRY_FIRST * (2 ** max(attempts - 1, 0)), RETRY_MAX)


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
