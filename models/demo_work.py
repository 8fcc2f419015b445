"""Demo work orders: a year of finished jobs on every project and today's open work, so the
lists, My work, the board and (later) reports show believable numbers on first start."""

import datetime

from .asset import Asset
from .base import utcnow
from .counter import Counter
from .user import ProjectMember
from .work_order import Activity, Assignment, WorkOrder

FAULTS = (
    ("Not starting, trips on reset", "high"),
    ("Noisy bearing reported by site staff", "medium"),
    ("Leak under the unit", "high"),
    ("Alarm on the BMS: high pressure", "urgent"),
    ("Intermittent fault, investigate", "low"),
    ("Controls not responding", "medium"),
)
SERVICES = (
    ("Monthly check", "preventive", 1.0),
    ("Quarterly service", "preventive", 3.0),
    ("Annual inspection", "inspection", 2.0),
)
HOLD_REASONS = ("Waiting for parts from the supplier", "Client asked to come back next week")


def add_work_orders(org, manager, rng, months=12):
    """Finished work over the past `months` and open work around today; returns the orders."""
    teams = {}
    for project_id, user in (
        ProjectMember.select(ProjectMember.project, ProjectMember.user)
        .where(ProjectMember.organisation == org.id)
        .tuples()
    ):
        teams.setdefault(project_id, []).append(user)
    assets = {}
    for asset in Asset.select().where(Asset.organisation == org.id, Asset.parent.is_null()):
        assets.setdefault(asset.project_id, []).append(asset)
    now = utcnow().replace(second=0, microsecond=0)
    orders = []
    for project_id, project_assets in sorted(assets.items()):
        team = teams.get(project_id, [])
        for _ in range(months * 2):
            created = now - datetime.timedelta(days=rng.uniform(7, months * 30))
            orders.append(_past_order(org, manager, project_id, project_assets, team, created, rng))
        for n in range(3):
            orders.append(_open_order(org, manager, project_id, project_assets, team, now, rng, n))
    for start in range(0, len(_timeline), 500):
        Activity.insert_many(_timeline[start : start + 500]).execute()
    _timeline.clear()
    return orders


def _worker(team, manager, rng):
    """Who does the job: someone on the project's team, else the manager."""
    return rng.choice(team) if team else manager.id


def _new(org, manager, project_id, asset, worker, created, **fields):
    project = asset.project
    order = WorkOrder.create(
        organisation=org.id,
        location=project.location_id,
        client=project.client_id,
        project=project_id,
        asset=asset.id,
        number=Counter.next_value(org.id, "work_order"),
        created_by=manager.id,
        created_at=created,
        updated_at=created,
        **fields,
    )
    if worker != manager.id:
        Assignment.create(organisation=org.id, work_order=order, user=worker)
    _note(order, manager.id, "created", f"Created {order.reference}", created)
    return order


_timeline = []  # rows written in bulk at the end of add_work_orders


def _note(order, user_id, kind, body, when):
    _timeline.append(
        {
            "organisation": order.organisation_id,
            "work_order": order.id,
            "user": user_id,
            "kind": kind,
            "body": body,
            "created_at": when,
            "updated_at": when,
        }
    )


def _past_order(org, manager, project_id, project_assets, team, created, rng):
    asset = rng.choice(project_assets)
    if rng.random() < 0.55:
        title, order_type, hours = rng.choice(SERVICES)
        priority = "medium"
    else:
        (title, priority), order_type, hours = rng.choice(FAULTS), "corrective", 2.0
    due = created + datetime.timedelta(days=rng.choice((1, 3, 7, 14)))
    started = created + datetime.timedelta(hours=rng.uniform(2, 24 * 6))
    completed = started + datetime.timedelta(hours=rng.uniform(0.5, 6))
    closed = completed + datetime.timedelta(days=rng.uniform(0.5, 4))
    cancelled = rng.random() < 0.04
    worker = _worker(team, manager, rng)
    order = _new(
        org,
        manager,
        project_id,
        asset,
        worker,
        created,
        title=f"{title}: {asset.name}",
        type=order_type,
        priority=priority,
        due_at=due,
        estimated_hours=hours,
        status="cancelled" if cancelled else ("closed" if closed < utcnow() else "completed"),
        status_reason="Duplicate of another request" if cancelled else "",
        started_at=None if cancelled else started,
        completed_at=None if cancelled else completed,
        completed_by=None if cancelled else worker,
        closed_at=None if cancelled or closed > utcnow() else closed,
        completion_notes="" if cancelled else "Work done, unit left running normally.",
    )
    if cancelled:
        _note(
            order, manager.id, "status", "Open → Cancelled: Duplicate of another request", started
        )
        return order
    _note(order, worker, "status", "Open → In progress", started)
    _note(order, worker, "status", "In progress → Completed", completed)
    if order.closed_at:
        _note(order, manager.id, "status", "Completed → Closed", closed)
    return order


def _open_order(org, manager, project_id, project_assets, team, now, rng, n):
    """Around today: one overdue, one due today or tomorrow, one later; some started."""
    asset = rng.choice(project_assets)
    offset = (-rng.uniform(1, 6), rng.uniform(2, 30), rng.uniform(40, 24 * 12))[n]
    due = now + datetime.timedelta(hours=offset * (24 if n == 0 else 1))
    created = min(now, due) - datetime.timedelta(days=rng.uniform(1, 5))
    fault = n == 0 or rng.random() < 0.4
    (title, priority) = rng.choice(FAULTS) if fault else (rng.choice(SERVICES)[0], "medium")
    status = rng.choice(("open", "open", "in_progress", "on_hold")) if n < 2 else "open"
    worker = _worker(team, manager, rng)
    order = _new(
        org,
        manager,
        project_id,
        asset,
        worker,
        created,
        title=f"{title}: {asset.name}",
        type="corrective" if fault else "preventive",
        priority=priority,
        due_at=due,
        estimated_hours=rng.choice((1, 1.5, 2, 4)),
        status=status,
        status_reason=rng.choice(HOLD_REASONS) if status == "on_hold" else "",
        started_at=created + datetime.timedelta(hours=2) if status != "open" else None,
        asset_down=fault and priority == "urgent",
    )
    if order.asset_down:
        Asset.update(status="down").where(Asset.id == asset.id).execute()
    if status != "open":
        _note(order, worker, "status", "Open → In progress", order.started_at)
    if status == "on_hold":
        _note(order, worker, "status", f"In progress → On hold: {order.status_reason}", now)
    return order
