"""Alerts that come from the passing of time, found by periodic tasks: work due soon,
overdue, still overdue (escalated to the project's managers), and warranties ending.

Each is raised once per state, not once per run: an AlertMark row (event, subject, marker)
is written with the alert, in one transaction, and is unique. The marker is the order's due
time (or the asset's warranty end), so moving the due date makes a new state that is
alerted again, while a second worker or the next run finds the mark and does nothing.
Each pass is a few indexed queries per organisation when there is nothing to do."""

import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, IntegrityError, fn

from .alert_email import local_time
from .alert_events import order_alert, order_details
from .alert_preferences import settings_for
from .alerts import Alert, managers_of, notify, notify_many
from .asset import Asset
from .base import BaseModel, db, utcnow
from .client import Client
from .organisation import Organisation
from .outbox import path_for
from .work_order import Assignment, WorkOrder, is_open

LOOKBACK = datetime.timedelta(days=7)  # older overdue work was known before: no flood
WARRANTY_NOTICE = datetime.timedelta(days=30)
BATCH = 200  # orders per transaction: on SQLite, delivery commits between batches


class AlertMark(BaseModel):
    """A state that has been alerted: an order due soon, overdue or escalated for its due
    time, an asset's warranty ending on its date."""

    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    event = CharField(max_length=20)
    subject = IntegerField()  # the work order's or the asset's id
    marker = DateTimeField()

    class Meta:
        indexes = ((("event", "subject", "marker"), True),)


def _unmarked(event, model, marker):
    marks = AlertMark.select(AlertMark.id).where(
        AlertMark.event == event, AlertMark.subject == model.id, AlertMark.marker == marker
    )
    return ~fn.EXISTS(marks)


def _mark(organisation_id, event, subject, marker):
    """True if this state was not alerted yet (and now is), False if it was."""
    try:
        with db.atomic():
            AlertMark.create(
                organisation=organisation_id, event=event, subject=subject, marker=marker
            )
    except IntegrityError:
        return False
    return True


def detect_due(now=None):
    """One pass over every organisation's open work: due soon, overdue, escalation.
    Returns how many orders were alerted, by event."""
    now = now or utcnow()
    counts = {"due_soon": 0, "overdue": 0, "escalation": 0}
    for (org_id,) in Organisation.select(Organisation.id).tuples():
        due_soon_hours, escalate_hours, _ = settings_for(org_id)
        windows = {
            "due_soon": (now, now + datetime.timedelta(hours=due_soon_hours)),
            "overdue": (now - LOOKBACK, now),
            "escalation": (
                now - datetime.timedelta(hours=escalate_hours) - LOOKBACK,
                now - datetime.timedelta(hours=escalate_hours),
            ),
        }
        for event, (start, end) in windows.items():
            counts[event] += _detect(org_id, event, start, end, now)
    return counts


def _detect(org_id, event, start, end, now):
    """Alert every order of the organisation in this event's window that was not alerted
    for its due time yet, a batch at a time: the batch's marks and alerts commit together."""
    done, last_id = 0, 0
    while True:
        ids = [
            row_id
            for (row_id,) in WorkOrder.select(WorkOrder.id)
            .where(
                WorkOrder.organisation == org_id,
                is_open(),
                WorkOrder.due_at > start,
                WorkOrder.due_at <= end,
                WorkOrder.id > last_id,
                _unmarked(event, WorkOrder, WorkOrder.due_at),
            )
            .order_by(WorkOrder.id)
            .limit(BATCH)
            .tuples()
        ]
        if not ids:
            return done
        last_id = ids[-1]
        done += _alert_batch(org_id, event, ids, now)


def _alert_batch(org_id, event, ids, now):
    orders = order_details(ids)
    assignees = _assignees(ids)
    with db.atomic():
        marks = [
            {"organisation": org_id, "event": event, "subject": o.id, "marker": o.due_at,
             "created_at": now, "updated_at": now}
            for o in orders.values()
        ]  # fmt: skip
        # Orders another worker marked meanwhile are left to it: only new marks alert.
        fresh = [
            row.subject
            for row in AlertMark.insert_many(marks)
            .on_conflict_ignore()
            .returning(AlertMark.subject)
            .execute()
        ]
        managers = {}
        items = [_item(event, orders[i], assignees.get(i, []), managers, now) for i in fresh]
        notify_many(items, now=now)
    return len(fresh)


def _assignees(order_ids):
    found = {}
    rows = Assignment.select(Assignment.work_order, Assignment.user).where(
        Assignment.work_order.in_(order_ids)
    )
    for order_id, user_id in rows.tuples():
        found.setdefault(order_id, []).append(user_id)
    return found


def _item(event, order, assignee_ids, managers, now):
    """(alert, order, recipients) for one order in one event."""

    def managers_of_order():
        key = (order.location_id, order.project_id, order.client_id)
        if key not in managers:
            managers[key] = managers_of(order)
        return managers[key]

    due = local_time(order.due_at, order.location.timezone)
    occurrence = f"wo{order.id}:{order.due_at:%Y%m%d%H%M}"
    if event == "due_soon":
        alert = order_alert(
            event, order, occurrence, f"{order.reference} is due {due}.", actions=("start",)
        )
        return alert, order, assignee_ids
    if event == "overdue":
        alert = order_alert(
            event, order, occurrence,
            f"{order.reference} was due {due} and is not done yet.", actions=("start",),
        )  # fmt: skip
        # Work nobody is assigned to is still somebody's problem: its managers'.
        return alert, order, assignee_ids or managers_of_order()
    hours = (now - order.due_at).total_seconds() / 3600
    alert = order_alert(
        event, order, occurrence,
        f"{order.reference} has been overdue since {due} ({hours:.0f} hours).",
    )  # fmt: skip
    return alert, order, managers_of_order()


def detect_warranties(now=None):
    """Assets whose warranty ends within 30 days: their project's managers hear, once
    per asset and warranty end date."""
    now = now or utcnow()
    today = now.date()
    horizon = today + WARRANTY_NOTICE
    marked = {
        (subject, marker.date())
        for subject, marker in AlertMark.select(AlertMark.subject, AlertMark.marker)
        .where(
            AlertMark.event == "warranty",
            AlertMark.marker >= datetime.datetime.combine(today, datetime.time()),
        )
        .tuples()
    }
    assets = [
        asset
        for asset in Asset.select(Asset, Client.name)
        .join(Client, on=(Asset.client == Client.id))
        .where(
            Asset.archived_at.is_null(),
            Asset.status != "retired",
            Asset.warranty_end >= today,
            Asset.warranty_end <= horizon,
        )
        .order_by(Asset.id)
        if (asset.id, asset.warranty_end) not in marked
    ]
    done = 0
    for asset in assets:
        marker = datetime.datetime.combine(asset.warranty_end, datetime.time())
        with db.atomic():
            if not _mark(asset.organisation_id, "warranty", asset.id, marker):
                continue
            days = (asset.warranty_end - today).days
            alert = Alert(
                kind="warranty",
                occurrence=f"a{asset.id}:{asset.warranty_end.isoformat()}",
                subject=f"Warranty ending: {asset.tag} {asset.name}, {asset.client.name}",
                headline=f"The warranty of {asset.tag} {asset.name} ends on "
                f"{asset.warranty_end:%d %b %Y}, in {days} days.",
                facts=[
                    ("Asset", f"{asset.tag} {asset.name}"),
                    ("Client", asset.client.name),
                    ("Make and model", f"{asset.make} {asset.model_name}".strip() or "–"),
                    ("Serial", asset.serial or "–"),
                    ("Warranty ends", f"{asset.warranty_end:%d %b %Y}"),
                ],
                path=path_for("assets.show", asset_id=asset.id),
            )
            notify(alert, asset, managers_of(asset), now=now)
        done += 1
    return done
