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
from typing import NamedTuple

from flask import current_app, has_app_context
from peewee import (
    BlobField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from .base import BaseModel, choice_check, db, utcnow
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
    row = email_row(
        recipient, subject, text, html, key=key, organisation=organisation, user=user,
        headers=headers, unsubscribe_url=unsubscribe_url,
    )  # fmt: skip
    with db.atomic():
        # A repeat of the key inserts nothing: no savepoint, no error, one statement.
        inserted = list(
            OutboxEmail.insert(**row).on_conflict_ignore().returning(OutboxEmail).execute()
        )
        if not inserted:
            return None
        email = inserted[0]
        for attachment in attachments:
            attachment = Attachment(*attachment)
            OutboxAttachment.create(
                email=email.id,
                filename=attachment.filename[:200],
                content_type=attachment.content_type[:100],
                content=attachment.content,
            )
        wake_delivery_after_commit()
    return email


def email_row(
    recipient, subject, text, html="", *, key, organisation=None, user=None, headers=None,
    unsubscribe_url=None, now=None,
):  # fmt: skip
    """The outbox row for an email (see queue_email), for queueing many at once."""
    event, occurrence = key
    recipient = (recipient or "").strip()
    if not recipient or not isinstance(subject, str) or not isinstance(text, str):
        raise ValueError("An email needs a recipient, a subject and a text body.")
    headers = dict(headers or {})
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    now = now or utcnow()
    return {
        "created_at": now,
        "updated_at": now,
        "next_attempt_at": now,
        "organisation": getattr(organisation, "id", organisation),
        "user": getattr(user, "id", user),
        "event": event[:40],
        "recipient": recipient[:254],
        "occurrence": str(occurrence)[:120],
        "subject": " ".join(subject.split())[:500],
        "text_body": text,
        "html_body": html or "",
        "headers": json.dumps(headers),
        "message_id": _message_id(event, recipient, occurrence),
    }


def queue_emails(rows):
    """Queue many emails (rows from email_row) in the caller's transaction; those whose
    key is already in the outbox are left out. Delivery is woken once, after the commit."""
    if not rows:
        return
    with db.atomic():
        for start in range(0, len(rows), 200):
            OutboxEmail.insert_many(rows[start : start + 200]).on_conflict_ignore().execute()
        wake_delivery_after_commit()


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
