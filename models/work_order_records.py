"""Recording the work on an order: the rules the record types share, and the totals.

Time entries, parts, comments, files and downtime each live in their own module; they all
check here whether the order still takes records, and write their timeline and audit rows
through `log` so every change leaves both, in the change's own transaction.
"""

import decimal

from peewee import fn

from .audit import AuditEvent
from .work_order import Activity, WorkOrder

# A verified (closed) or cancelled order is history: its records no longer change.
LOCKED_STATUSES = ("closed", "cancelled")


class RecordError(ValueError):
    """Input a record refuses; `field` names the form field the message belongs to."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class LockedError(RecordError):
    """The order is closed or cancelled: records are read-only."""


def check_open_for_records(order):
    if order.status in LOCKED_STATUSES:
        raise LockedError(
            f"This order is {order.status_label.lower()}: its records can no longer change."
        )


def may_change_own(actor, row_user_id):
    """People change their own entries; managers change anyone's."""
    return actor.is_manager or row_user_id == actor.id


def log(order, actor, kind, body, action, entity, changes=None):
    """The timeline line and the audit row of one change (call inside its transaction)."""
    activity = Activity.note(order, actor, kind, body[:2000])
    AuditEvent.record(actor, action, entity, changes, summary=f"{order.reference}: {body}"[:300])
    return activity


def format_minutes(minutes):
    """Minutes as h:mm, the way a timesheet shows them."""
    minutes = int(minutes or 0)
    return f"{minutes // 60}:{minutes % 60:02d}"


def totals(order):
    """Labour hours, parts cost and downtime hours of an order, summed by the database in one
    query (a list of thousands of entries costs no more than one of three)."""
    from .downtime import Downtime
    from .part import PartUsed
    from .time_entry import TimeEntry

    labour = TimeEntry.select(fn.COALESCE(fn.SUM(TimeEntry.minutes), 0)).where(
        TimeEntry.work_order == order.id
    )
    parts = PartUsed.select(fn.COALESCE(fn.SUM(PartUsed.quantity * PartUsed.unit_cost), 0)).where(
        PartUsed.work_order == order.id
    )
    down = Downtime.select(fn.COALESCE(fn.SUM(Downtime.minutes), 0)).where(
        Downtime.work_order == order.id
    )
    row = (
        WorkOrder.select(labour.alias("labour"), parts.alias("parts"), down.alias("down"))
        .where(WorkOrder.id == order.id)
        .tuples()
        .get()
    )
    labour_minutes, parts_cost, down_minutes = row
    return Totals(int(labour_minutes or 0), _money(parts_cost), int(down_minutes or 0))


def _money(value):
    return decimal.Decimal(str(value or 0)).quantize(
        decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP
    )


class Totals:
    """What the order's work added up to."""

    def __init__(self, labour_minutes, parts_cost, downtime_minutes):
        self.labour_minutes = labour_minutes
        self.parts_cost = parts_cost
        self.downtime_minutes = downtime_minutes

    @property
    def labour_hours(self):
        return decimal.Decimal(self.labour_minutes) / 60

    @property
    def labour(self):
        return format_minutes(self.labour_minutes)

    @property
    def downtime(self):
        return format_minutes(self.downtime_minutes)

    def __repr__(self):
        return f"Totals({self.labour}, {self.parts_cost}, {self.downtime})"
