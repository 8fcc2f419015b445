"""Changes a dispatcher makes to many work orders at once: each in one transaction, each
order's change on its timeline and in the audit log."""

import datetime

from .audit import AuditEvent
from .base import db, utcnow
from .user import ProjectMember
from .work_order import (
    PRIORITIES,
    Activity,
    Assignment,
    TransitionError,
    WorkOrder,
    alert_events,
)


def assign(actor, orders, user):
    """Add `user` to the assignees of every order; refused (nothing changed) when the user
    is not on the team of some order's project. Returns how many orders gained them."""
    projects = {o.project_id for o in orders}
    member_of = {
        p
        for (p,) in ProjectMember.select(ProjectMember.project)
        .where(ProjectMember.user == user.id, ProjectMember.project.in_(projects))
        .tuples()
    }
    outside = sorted(o.reference for o in orders if o.project_id not in member_of)
    if outside:
        raise TransitionError(
            f"{user.name} is not on the project team of "
            + ", ".join(outside[:10])
            + (f" and {len(outside) - 10} more" if len(outside) > 10 else "")
            + "."
        )
    with db.atomic():
        already = {
            w
            for (w,) in Assignment.select(Assignment.work_order)
            .where(Assignment.user == user.id, Assignment.work_order.in_([o.id for o in orders]))
            .tuples()
        }
        changed = [o for o in orders if o.id not in already]
        for order in changed:
            Assignment.create(organisation=order.organisation_id, work_order=order, user=user)
            _record(actor, order, "assign", f"Assigned {user.name}", {"assignee": (None, user.id)})
            alert_events().assignees_changed(order, actor, [user.id])
    return len(changed)


def reschedule(actor, orders, days):
    """Move due dates by whole days (an order without one is left alone)."""
    shift = datetime.timedelta(days=days)
    moved = [o for o in orders if o.due_at is not None and o.is_open]
    with db.atomic():
        for order in moved:
            new_due = order.due_at + shift
            _update(order, due_at=new_due)
            _record(
                actor,
                order,
                "edit",
                f"Due date moved by {days:+d} days",
                {"due_at": (order.due_at, new_due)},
            )
            alert_events().due_changed(order, actor, order.due_at, order.version + 1)
    return len(moved)


def set_priority(actor, orders, priority):
    if priority not in PRIORITIES:
        raise TransitionError("Choose a priority.")
    changed = [o for o in orders if o.priority != priority and o.is_open]
    with db.atomic():
        for order in changed:
            _update(order, priority=priority)
            _record(
                actor,
                order,
                "edit",
                f"Priority {order.priority} → {priority}",
                {"priority": (order.priority, priority)},
            )
    return len(changed)


def _update(order, **fields):
    """Write and bump the version, so a form open elsewhere sees it is stale."""
    WorkOrder.update(version=WorkOrder.version + 1, updated_at=utcnow(), **fields).where(
        WorkOrder.id == order.id
    ).execute()


def _record(actor, order, kind, text, changes):
    Activity.note(order, actor, kind, text)
    AuditEvent.record(actor, "update", order, changes)
