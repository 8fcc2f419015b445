"""The open work assigned to people, as the board and the calendar sum it per technician.

An organisation-wide viewer's sums read the assignment rows alone: each carries its open
order's due date and estimated hours (copies kept by migration 0021's triggers), under one
partial index. Joined to their orders instead, an admin's 20,000 overdue orders cost 60-140
ms on PostgreSQL, and a calendar month of 90,000 orders at 100,000 schedules 120-160 ms.
For such a viewer visible() is the organisation alone (work orders are never archived), so
both ways count the same orders. Anyone else, or a view narrowed by place, goes through the
visible orders as every list does.
"""

from .visibility import sees_whole_organisation, visible
from .work_order import Assignment, WorkOrder, is_open


def open_assignments(user, orders=None):
    """(assignments of the open orders `user` sees, their due date column, their hours
    column). `orders`: the visible orders to narrow to (a view's filters), else all."""
    if orders is None and sees_whole_organisation(user):
        rows = Assignment.select().where(
            Assignment.organisation == user.organisation_id, Assignment.is_open
        )
        return rows, Assignment.open_due_at, Assignment.open_hours
    orders = visible(WorkOrder, user) if orders is None else orders
    rows = orders.join(Assignment, on=(Assignment.work_order == WorkOrder.id)).where(is_open())
    return rows, WorkOrder.due_at, WorkOrder.estimated_hours
