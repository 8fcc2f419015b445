"""Scheduled delivery: a monthly period report for a client or a project, emailed with its
PDF and a permanent link to chosen recipients on a chosen day of the month.

The report is built as the person who set the delivery up sees it (their visibility): if
they lose access to the client, or their account is deactivated, nothing is sent. A Huey
periodic task (tasks/reports.py) calls `send_due` hourly; a delivery goes out once its day
has come in the client's time zone, for the last complete month. Each email has the
outbox's idempotency key (delivery and month, with the recipient), and the month sent is
recorded in the same transaction, so however often or on how many workers the task runs,
each recipient gets each month's report once.

The PDF is rendered by the web layer's report renderer, which the app registers here
(`register_renderer`), so this module and the task need not import views.
"""

import logging
import re

from peewee import (
    BooleanField,
    CharField,
    Check,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from .audit import AuditEvent
from .base import BaseModel, db, utcnow
from .client import Client
from .clock import utc_to_local
from .location import Location
from .organisation import Organisation
from .outbox import Attachment, queue_email
from .periods import last_complete_month
from .project import Project
from .user import User
from .visibility import get_visible

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 20
LAST_DAY = 28  # every month has it
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_renderer = {}


class DeliveryError(ValueError):
    """A delivery we refuse to save; `field` names where the message goes."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def register_renderer(render):
    """`render(delivery, user, period)` -> (subject, text, html, pdf bytes, filename)."""
    _renderer["render"] = render


class ReportDelivery(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    location = ForeignKeyField(Location, on_delete="RESTRICT", index=False)
    client = ForeignKeyField(Client, on_delete="CASCADE")
    project = ForeignKeyField(Project, null=True, on_delete="CASCADE")
    day = IntegerField(constraints=[Check(f"day BETWEEN 1 AND {LAST_DAY}")])
    recipients = TextField()  # one address a line
    active = BooleanField(default=True)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    last_period = CharField(max_length=7, default="")  # "2026-10": the last month sent
    last_sent_at = DateTimeField(null=True)

    class Meta:
        table_name = "report_delivery"
        indexes = ((("organisation", "active"), False),)

    @property
    def recipient_list(self):
        return [line for line in self.recipients.splitlines() if line.strip()]

    @property
    def subject_name(self):
        return f"{self.project.code} {self.project.name}" if self.project_id else self.client.name


def parse_recipients(text):
    """Addresses separated by commas, semicolons or lines; each checked, duplicates dropped."""
    found = []
    for part in re.split(r"[,;\n]+", text or ""):
        address = part.strip()
        if not address:
            continue
        if not EMAIL.match(address) or len(address) > 254:
            raise DeliveryError(f"{address[:60]} is not an email address.", "recipients")
        if address.lower() not in (f.lower() for f in found):
            found.append(address)
    if not found:
        raise DeliveryError("Enter at least one email address.", "recipients")
    if len(found) > MAX_RECIPIENTS:
        raise DeliveryError(f"At most {MAX_RECIPIENTS} recipients.", "recipients")
    return found


def save_delivery(actor, client, project, day, recipients, delivery=None):
    """Create or change a delivery (audited); the client and project must be visible to the
    actor (the views check that first) and the project must be the client's."""
    if day is None or not 1 <= day <= LAST_DAY:
        raise DeliveryError(f"Choose a day from 1 to {LAST_DAY}.", "day")
    if project is not None and project.client_id != client.id:
        raise DeliveryError("That project is not this client's.", "project")
    addresses = parse_recipients(recipients)
    fields = {
        "location": client.location_id,
        "client": client.id,
        "project": project.id if project else None,
        "day": day,
        "recipients": "\n".join(addresses),
    }
    with db.atomic():
        if delivery is None:
            delivery = ReportDelivery.create(
                organisation=actor.organisation_id, created_by=actor.id, **fields
            )
            AuditEvent.record(actor, "create", delivery, {"recipients": (None, addresses)})
        else:
            ReportDelivery.update(updated_at=utcnow(), **fields).where(
                ReportDelivery.id == delivery.id
            ).execute()
            AuditEvent.record(actor, "update", delivery, {"recipients": (None, addresses)})
    return delivery


def remove_delivery(actor, delivery):
    with db.atomic():
        AuditEvent.record(actor, "delete", delivery)
        delivery.delete_instance()


def due(now=None):
    """Active deliveries whose day has come in their client's time zone and whose last
    complete month has not been sent: [(delivery, period)]."""
    now = now or utcnow()
    found = []
    rows = (
        ReportDelivery.select(ReportDelivery, Location.id, Location.timezone)
        .join(Location, on=(ReportDelivery.location == Location.id))
        .where(ReportDelivery.active)
    )
    for delivery in rows:
        today = utc_to_local(now, delivery.location.timezone).date()
        period = last_complete_month(today)
        if today.day >= delivery.day and delivery.last_period != period.first.strftime("%Y-%m"):
            found.append((delivery, period))
    return found


def send_due(now=None):
    """Render and queue every due delivery; returns how many emails were queued."""
    queued = 0
    for delivery, period in due(now):
        try:
            queued += send(delivery, period)
        except Exception:  # noqa: BLE001 - one broken delivery must not stop the others
            log.exception("Report delivery %s for %s failed", delivery.id, period.label)
    return queued


def _sender(delivery):
    """The person the report is built for, while they may still see its client."""
    user = User.get_or_none(User.id == delivery.created_by_id)
    if user is None or not user.active or user.role not in ("admin", "manager"):
        return None
    target = (Project, delivery.project_id) if delivery.project_id else (Client, delivery.client_id)
    return user if get_visible(target[0], user, target[1]) is not None else None


def send(delivery, period):
    """One delivery for one month: the PDF once, an email per recipient, and the month
    recorded, all in one transaction after the (slow) rendering."""
    key = period.first.strftime("%Y-%m")
    user = _sender(delivery)
    if user is None:
        log.warning("Report delivery %s skipped: its owner no longer sees it", delivery.id)
        return 0
    subject, text, html, pdf, filename = _renderer["render"](delivery, user, period)
    queued = 0
    with db.atomic():
        claimed = (
            ReportDelivery.update(last_period=key, last_sent_at=utcnow())
            .where(ReportDelivery.id == delivery.id, ReportDelivery.last_period != key)
            .execute()
        )
        if not claimed:  # another worker sent this month meanwhile
            return 0
        for address in delivery.recipient_list:
            email = queue_email(
                address,
                subject,
                text,
                html,
                key=("monthly_report", f"{delivery.id}:{key}"),
                organisation=delivery.organisation_id,
                attachments=[Attachment(filename, "application/pdf", pdf)],
            )
            queued += email is not None
    return queued
