"""Demo alerts: what the demo's people would have heard by now, raised by the real event
functions and the real detection pass, then aged: each person has a handful of read and
unread notifications, and the local outbox keeps the emails that went with them (one
bounced, to show the outbox's failed state)."""

import datetime

from peewee import JOIN

from . import alert_events
from .alert_detection import detect_due, detect_warranties
from .alert_digest import send_digests
from .base import db, utcnow
from .client import Client
from .comment import Comment
from .meter import Meter
from .notification import Notification
from .outbox import OutboxEmail
from .user import User
from .work_order import OPEN_STATUSES, Assignment, WorkOrder

UNREAD_AT_MOST = 4  # the newest few stay unread (at most half); older ones have been read


def load(org, users):
    """Raise the demo's alerts (the demo is loaded with alerts quiet) and age them."""
    now = utcnow()
    with db.atomic():
        Client.update(completion_alerts=True).where(
            Client.organisation == org.id, Client.name == "Northgate Mall Ltd"
        ).execute()
        _assignments(users)
        _mentions(org, users)
        _completions(org, users)
        _meter_excursion(org, users)
        detect_due(now)
        detect_warranties(now)
        _age(org, now)
        send_digests(now)  # the digests of whoever's hour has come today
        _settle(org, now)


def _open_orders_of(user, limit):
    return list(
        WorkOrder.select()
        .join(Assignment, on=(Assignment.work_order == WorkOrder.id))
        .where(Assignment.user == user.id, WorkOrder.status.in_(OPEN_STATUSES))
        .order_by(WorkOrder.due_at.desc(nulls="LAST"), WorkOrder.id.desc())
        .limit(limit)
    )


def _assignments(users):
    for order in _open_orders_of(users["technician"], 2):
        alert_events.assignees_changed(order, users["manager"], [users["technician"].id])


def _mentions(org, users):
    tom, maria, alex = users["technician"], users["manager"], users["admin"]
    orders = _open_orders_of(tom, 4)
    if len(orders) >= 2:
        Comment.post(
            maria, orders[0], f"@{tom.name} the client asks for the belt to be checked too."
        )
        Comment.post(tom, orders[1], f"@{maria.name} parts on order, back on site Thursday.")
        Comment.post(maria, orders[1], f"@{alex.name} can you approve the quote for the new pump?")
        Comment.post(
            tom, orders[0], f"@{alex.name} the access code for the roof plant has changed."
        )


def _completions(org, users):
    """Completed work at Northgate this week: its client's user and contact hear of it."""
    recent = (
        WorkOrder.select(WorkOrder, User.id, User.name)
        .join(Client, on=(WorkOrder.client == Client.id))
        .switch(WorkOrder)
        .join(User, JOIN.LEFT_OUTER, on=(WorkOrder.completed_by == User.id))
        .where(
            WorkOrder.organisation == org.id,
            Client.completion_alerts == True,  # noqa: E712
            WorkOrder.status.in_(("completed", "closed")),
        )
        .order_by(WorkOrder.completed_at.desc())
        .limit(3)
    )
    for order in recent:
        alert_events.completed(
            order, order.completed_by if order.completed_by_id else users["manager"]
        )


def _meter_excursion(org, users):
    meter = (
        Meter.select()
        .where(Meter.organisation == org.id, Meter.upper_limit.is_null(False))
        .order_by(Meter.id)
        .first()
    )
    if meter is not None:
        reading = meter.upper_limit * 1.15
        meter.add_reading(
            users["technician"], round(reading, 1), note="Reading high: checked twice"
        )


def _age(org, now):
    """Spread the alerts (and their emails) over the past days."""
    notes = list(
        Notification.select(Notification, WorkOrder.due_at)
        .join(WorkOrder, JOIN.LEFT_OUTER, on=(Notification.work_order == WorkOrder.id))
        .where(Notification.organisation == org.id)
    )
    for n, note in enumerate(notes):
        when = _when(note, now, n)
        Notification.update(created_at=when, updated_at=when).where(
            Notification.id == note.id
        ).execute()
        OutboxEmail.update(created_at=when).where(
            OutboxEmail.user == note.user_id,
            OutboxEmail.event == note.kind,
            OutboxEmail.occurrence == note.occurrence,
        ).execute()


def _settle(org, now):
    """Older alerts read, the newest few not; the emails kept, as the worker would."""
    OutboxEmail.update(status="kept", sent_at=OutboxEmail.created_at).where(
        OutboxEmail.organisation == org.id, OutboxEmail.status == "pending"
    ).execute()
    for (user_id,) in User.select(User.id).where(User.organisation == org.id).tuples():
        mine = Notification.select(Notification.id).where(Notification.user == user_id)
        keep = min(UNREAD_AT_MOST, max(1, mine.count() // 2))
        unread = mine.order_by(Notification.created_at.desc()).limit(keep)
        Notification.update(read_at=now).where(
            Notification.user == user_id, Notification.id.not_in(unread)
        ).execute()
    bounced = (
        OutboxEmail.select()
        .where(OutboxEmail.organisation == org.id, OutboxEmail.user.is_null())
        .order_by(OutboxEmail.id)
        .first()
    )
    if bounced is not None:  # a client contact's address that the mail server refused
        OutboxEmail.update(
            status="failed",
            sent_at=None,
            attempts=1,
            last_error="550 5.1.1 Recipient address rejected: user unknown",
        ).where(OutboxEmail.id == bounced.id).execute()


def _when(note, now, n):
    """When the alert would have come: from its order's due time where it has one."""
    due = note.work_order.due_at if note.work_order_id else None
    offsets = {"due_soon": -datetime.timedelta(hours=20), "overdue": datetime.timedelta(minutes=5)}
    if due is not None and note.kind in offsets:
        return min(now, due + offsets[note.kind])
    if due is not None and note.kind == "escalation":
        return min(now, due + datetime.timedelta(hours=24, minutes=5))
    return now - datetime.timedelta(hours=1 + (n % 7) * 5)
