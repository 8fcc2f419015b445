"""The work orders of many schedule occurrences, created together.

Creating 10,000 due orders one at a time through WorkOrder.open_for took about 20 queries and
a commit each (14 orders/s). Here a chunk of occurrences is one transaction and a handful of
multi-row statements: the occurrences first (INSERT .. ON CONFLICT DO NOTHING RETURNING, so
the unique (schedule, asset, key) still decides who creates what when workers race: rows
another worker holds wait for its commit and are then skipped), one number range per
organisation from its counter, then the orders, assignees, checklists, timeline, audit rows
and the occurrences' links. The rows written are those WorkOrder.open_for and
ChecklistItem.attach write (tests/test_models_pm_orders.py compares them), and the alerts
are the same call, order by order, in the same transaction.
"""

import json
import time
from dataclasses import dataclass

from peewee import Case

from .audit import AuditEvent, request_ip
from .base import db, is_postgres, utcnow
from .checklist import ChecklistItem
from .counter import Counter
from .procedure import Procedure, ProcedureItem
from .schedule import Occurrence, Schedule, ScheduleAssignee
from .user import ProjectMember, User
from .work_order import Activity, Assignment, WorkOrder, alert_events

# Occurrences a transaction. It holds the organisation's counter row (others creating an
# order wait) and, on SQLite, the database's write lock (every writer waits): small there,
# with a pause after each, since a waiting SQLite writer only retries every 100 ms and would
# otherwise starve past its 10 s timeout (seen with two workers and a web request).
CHUNK = {"postgresql": 50, "sqlite": 20}
SQLITE_PAUSE = 0.05


@dataclass
class Due:
    """One occurrence to create: a schedule (with its site's time zone loaded) and asset."""

    schedule: object
    asset_id: int
    key: str
    due_at: object
    late: bool = False
    note: str = ""

    @property
    def ident(self):
        return (self.schedule.id, self.asset_id, self.key)


def create_orders(items, actor_for):
    """Create the occurrences in `items` that do not exist yet, each with its work order:
    {(schedule id, asset id, key): order} for those created here. `actor_for(org id)` is who
    the timeline, audit and alerts name (the worker's SystemActor, or a person)."""
    postgres = is_postgres()
    made, size = {}, CHUNK["postgresql" if postgres else "sqlite"]
    for start in range(0, len(items), size):
        with db.atomic():
            made.update(_chunk(items[start : start + size], actor_for))
        if not postgres and start + size < len(items):
            time.sleep(SQLITE_PAUSE)
    return made


def _chunk(items, actor_for):
    won = _insert_occurrences(items)
    if not won:
        return {}
    items = [item for item in items if item.ident in won]
    now = utcnow()
    orders = _insert_orders(items, now, actor_for)
    teams = _teams({item.schedule.id for item in items})
    pairs = [(orders[i], user) for i, item in enumerate(items) for user in teams[item.schedule.id]]
    if pairs:
        rows = [
            {"organisation": o.organisation_id, "work_order": o.id, "user": u.id} for o, u in pairs
        ]
        Assignment.insert_many(rows).execute()
    checklists = _attach_checklists(items, orders)
    _timeline(items, orders, checklists, actor_for, now)
    links = [(won[item.ident], order.id) for item, order in zip(items, orders, strict=True)]
    Occurrence.update(work_order=Case(Occurrence.id, links)).where(
        Occurrence.id.in_([occurrence for occurrence, _ in links])
    ).execute()
    events, by_schedule = alert_events(), []
    for item, order in zip(items, orders, strict=True):
        actor = actor_for(order.organisation_id)
        if getattr(actor, "id", None) is None:  # the worker: "preventive work generated"
            by_schedule.append((order, teams[item.schedule.id]))
        else:  # a person pressed "generate now": "X assigned you"
            events.order_created(order, actor, teams[item.schedule.id])
    events.pm_generated(by_schedule)
    return {item.ident: order for item, order in zip(items, orders, strict=True)}


def _insert_occurrences(items):
    """{ident: occurrence id} of the occurrences this call inserted (not those that were
    there already, or that a racing worker inserted first)."""
    rows = [
        {
            "organisation": item.schedule.organisation_id,
            "schedule": item.schedule.id,
            "asset": item.asset_id,
            "key": item.key,
            "due_at": item.due_at,
            "deadline_at": Occurrence.deadline_for(item.due_at, item.schedule.location.timezone),
            "late": item.late,
        }
        for item in items
    ]
    inserted = (
        Occurrence.insert_many(rows)
        .on_conflict_ignore()
        .returning(Occurrence.id, Occurrence.schedule, Occurrence.asset, Occurrence.key)
        .tuples()
        .execute()
    )
    return {(schedule, asset, key): row_id for row_id, schedule, asset, key in inserted}


def _insert_orders(items, now, actor_for):
    """The orders, numbered from each organisation's counter; returned in `items` order."""
    numbers = {}
    for org in sorted({item.schedule.organisation_id for item in items}):
        count = sum(1 for item in items if item.schedule.organisation_id == org)
        numbers[org] = iter(Counter.take_values(org, "work_order", count))
    orders = []
    for item in items:
        s = item.schedule
        description = s.description
        if item.note:
            description = (item.note + "\n\n" + description).strip()
        orders.append(
            WorkOrder(
                organisation=s.organisation_id,
                location=s.location_id,
                client=s.client_id,
                project=s.project_id,
                asset=item.asset_id,
                number=next(numbers[s.organisation_id]),
                title=s.title,
                description=description,
                type="preventive",
                priority=s.priority,
                due_at=item.due_at,
                estimated_hours=s.estimated_hours,
                requires_signature=s.requires_signature,
                created_at=now,
                updated_at=now,
                created_by=getattr(actor_for(s.organisation_id), "id", None),
            )  # fmt: skip
        )
    fields = [
        WorkOrder.organisation, WorkOrder.location, WorkOrder.client, WorkOrder.project,
        WorkOrder.asset, WorkOrder.number, WorkOrder.title, WorkOrder.description,
        WorkOrder.type, WorkOrder.priority, WorkOrder.due_at, WorkOrder.estimated_hours,
        WorkOrder.requires_signature, WorkOrder.created_at, WorkOrder.updated_at,
        WorkOrder.created_by,
    ]  # fmt: skip
    ids = dict(
        WorkOrder.insert_many(
            [[getattr(o, f.column_name) for f in fields] for o in orders],
            fields=fields,
        )
        .returning(WorkOrder.number, WorkOrder.id)
        .tuples()
        .execute()
    )
    for order in orders:
        order.id = ids[order.number]
    return orders


def _teams(schedule_ids):
    """{schedule id: [users]}: its assignees still on its project's team and active, in
    one query for the chunk."""
    teams = {sid: [] for sid in schedule_ids}
    rows = (
        User.select(User.id, User.name, ScheduleAssignee.schedule.alias("sid"))
        .join(ScheduleAssignee, on=(ScheduleAssignee.user == User.id))
        .join(Schedule, on=(ScheduleAssignee.schedule == Schedule.id))
        .join(
            ProjectMember,
            on=((ProjectMember.user == User.id) & (ProjectMember.project == Schedule.project)),
        )
        .where(ScheduleAssignee.schedule.in_(list(schedule_ids)), User.active)
        .order_by(User.name)
        .objects()
    )
    for row in rows:
        teams[row.sid].append(User(id=row.id, name=row.name))
    return teams


def _attach_checklists(items, orders):
    """Copy each schedule's procedure onto its orders: {order id: procedure}."""
    wanted = {item.schedule.procedure_id for item in items if item.schedule.procedure_id}
    if not wanted:
        return {}
    procedures = {p.id: p for p in Procedure.select().where(Procedure.id.in_(list(wanted)))}
    steps = {}
    for step in (
        ProcedureItem.select()
        .where(ProcedureItem.procedure.in_(list(procedures)))
        .order_by(ProcedureItem.position, ProcedureItem.id)
    ):
        steps.setdefault(step.procedure_id, []).append(step)
    rows, attached = [], {}
    for item, order in zip(items, orders, strict=True):
        procedure = procedures.get(item.schedule.procedure_id)
        if procedure is None:
            continue
        attached[order.id] = (procedure, len(steps.get(procedure.id, [])))
        for n, step in enumerate(steps.get(procedure.id, []), start=1):
            rows.append(
                dict(
                    organisation=order.organisation_id,
                    work_order=order.id,
                    procedure=procedure.id,
                    position=n,
                    **step.spec(),
                )  # fmt: skip
            )
    for start in range(0, len(rows), 500):
        ChecklistItem.insert_many(rows[start : start + 500]).execute()
    return attached


def _timeline(items, orders, checklists, actor_for, now):
    """The activity and audit rows open_for, attach and generation write, in their order."""
    activity, audit = [], []
    ip = request_ip.get()
    for item, order in zip(items, orders, strict=True):
        actor = actor_for(order.organisation_id)
        user = getattr(actor, "id", None)

        def note(kind, body, order=order, user=user):
            activity.append((order.organisation_id, order.id, user, kind, body, now, now))

        def audited(action, changes, order=order, user=user, actor=actor):
            summary = str(order)[:300]
            audit.append((actor.organisation_id, user, action, "workorder", order.id, summary,
                          json.dumps(changes), ip, now, now))  # fmt: skip

        note("created", f"Created {order.reference}")
        audited("create", {})
        if order.id in checklists:
            procedure, count = checklists[order.id]
            note("checklist", f"Attached checklist “{procedure.name}” ({count} items)")
            audited("attach_checklist", {"checklist": [None, procedure.name]})
        note("schedule", f"Generated by schedule “{item.schedule.title}”")
    A = Activity
    for start in range(0, len(activity), 500):
        A.insert_many(
            activity[start : start + 500],
            fields=[
                A.organisation,
                A.work_order,
                A.user,
                A.kind,
                A.body,
                A.created_at,
                A.updated_at,
            ],  # fmt: skip
        ).execute()
    E = AuditEvent
    fields = [E.organisation, E.user, E.action, E.entity_type, E.entity_id, E.summary, E.changes,
              E.ip, E.created_at, E.updated_at]  # fmt: skip
    for start in range(0, len(audit), 500):
        E.insert_many(audit[start : start + 500], fields=fields).execute()
