"""PM compliance: of the preventive occurrences due in a period, the share done by their due date.

An occurrence is due in a period when its due moment falls in it. It counts once its deadline
(the end of its due date at the site, kept on the occurrence) has passed or its order is done:
done (completed or closed) by the deadline is on time; done after it is late; cancelled, still
open past the deadline, or skipped by the schedule's missed policy is missed. One not done and
not yet at its deadline is pending and stays out of the ratio, so today's work does not count
against anyone before the day is over.
"""

from typing import NamedTuple

from peewee import JOIN, SQL, Case, fn

from .base import utcnow
from .schedule import Occurrence, Schedule
from .visibility import scope
from .work_order import WorkOrder

DONE_STATUSES = ("completed", "closed")
GROUPS = {
    "schedule": Schedule.id,
    "project": Schedule.project,
    "client": Schedule.client,
    "location": Schedule.location,
}


class Compliance(NamedTuple):
    on_time: int = 0
    late: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def due(self):
        """The occurrences that count: on time, late or missed."""
        return self.on_time + self.late + self.missed

    @property
    def ratio(self):
        """On time ÷ due; None when nothing was due (no figure rather than a fake 100 %)."""
        return self.on_time / self.due if self.due else None

    @property
    def percent(self):
        return None if self.ratio is None else round(self.ratio * 100)


def _counts(now):
    done = WorkOrder.status.in_(DONE_STATUSES)
    on_time = done & (WorkOrder.completed_at <= Occurrence.deadline_at)
    late = done & (WorkOrder.completed_at > Occurrence.deadline_at)
    not_done = WorkOrder.id.is_null() | WorkOrder.status.not_in(DONE_STATUSES)
    missed = not_done & (Occurrence.deadline_at <= now)
    pending = not_done & (Occurrence.deadline_at > now)
    return [
        fn.COALESCE(fn.SUM(Case(None, [(cond, 1)], 0)), 0).alias(name)
        for name, cond in (
            ("on_time", on_time),
            ("late", late),
            ("missed", missed),
            ("pending", pending),
        )
    ]


def _query(user, start, end, filters, now, *columns):
    query = (
        Occurrence.select(*columns, *_counts(now or utcnow()))
        .join(Schedule, on=(Occurrence.schedule == Schedule.id))
        .join(WorkOrder, JOIN.LEFT_OUTER, on=(Occurrence.work_order == WorkOrder.id))
        .where(
            Occurrence.organisation == user.organisation_id,
            Occurrence.due_at >= start,
            Occurrence.due_at < end,
            scope(Schedule, user),
        )
    )
    for name, row in filters.items():
        if row is not None:
            query = query.where(GROUPS[name] == getattr(row, "id", row))
    return query


def pm_compliance(user, start, end, *, now=None, **filters):
    """PM compliance over occurrences due in [start, end) (naive UTC) that `user` may see,
    optionally for one schedule, project, client or location (a row or an id)."""
    row = _query(user, start, end, filters, now).tuples().get()
    return Compliance(*(int(n or 0) for n in row))


def pm_compliance_by(user, start, end, group, *, now=None, **filters):
    """PM compliance per schedule, project, client or location: {id: Compliance}, one query."""
    column = GROUPS[group]
    rows = _query(user, start, end, filters, now, column).group_by(column).tuples()
    return {key: Compliance(*(int(n or 0) for n in counts)) for key, *counts in rows}


def pm_compliance_per_period(user, bounds, *, now=None, **filters):
    """PM compliance for each [start, end) range of `bounds` (a report's trend), in one query
    grouped by range: [Compliance], the same counts pm_compliance gives for each range."""
    from .sql_time import bucket, span

    start, end = span(bounds)
    period = bucket(Occurrence.due_at, bounds)
    rows = _query(user, start, end, filters, now, period).group_by(SQL("1")).tuples()
    found = {index: Compliance(*(int(n or 0) for n in counts)) for index, *counts in rows}
    return [found.get(index, Compliance()) for index in range(len(bounds))]
