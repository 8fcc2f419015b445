"""Demo history for the reports: a year in which every client's assets fail now and then
(some of them again within days, so first-time fix is not a flat 100%), a monthly planned
visit on every project (mostly on time, some late, some missed, so PM compliance means
something), the organisation's logo on its reports, and site photos on recent repairs.

Called by the demo loader after the other demo modules:
`demo_reports.load(org, users, storage=None)`.
"""

import datetime
import io
import random

from . import demo_checklists, demo_records, demo_schedules, demo_signoff, demo_work
from .asset import Asset
from .base import utcnow
from .branding import store_logo
from .client import Client
from .procedure import Procedure
from .report_delivery import save_delivery
from .schedule import Occurrence
from .user import ProjectMember
from .work_order import Activity, WorkOrder

CRITICAL_FIRST = {"critical": 0, "high": 1, "medium": 2, "low": 3}
FAULTS = (
    ("Tripped overnight, reset and investigate", "high"),
    ("Running hot, alarm on the BMS", "urgent"),
    ("Vibration above the usual", "medium"),
    ("Repeat fault: same symptom as last visit", "high"),
)


def load(org, users, storage=None, seed=23):
    """Add the failures, the planned visits and the logo; returns the orders added."""
    rng = random.Random(seed)
    orders = _failures(org, users["manager"], rng)
    demo_records.load(org, users, orders, seed=seed)
    _planned_visits(org, users["manager"], rng)
    _recent_visits_done(org, users["technician"], rng)
    _scheduled_report(org, users["manager"])
    if storage is not None:
        store_logo(users["admin"], storage, _logo())
        _showcase(org, users, orders, storage, rng)
    return orders


def _problem_assets(org):
    """Per project, its two most critical top-level assets: the ones that keep failing."""
    found = {}
    for asset in Asset.select().where(Asset.organisation == org.id, Asset.parent.is_null()):
        found.setdefault(asset.project_id, []).append(asset)
    return {
        project: sorted(assets, key=lambda a: (CRITICAL_FIRST[a.criticality], a.id))[:2]
        for project, assets in found.items()
    }


def _failures(org, manager, rng):
    teams = {}
    for project_id, user_id in (
        ProjectMember.select(ProjectMember.project, ProjectMember.user)
        .where(ProjectMember.organisation == org.id)
        .tuples()
    ):
        teams.setdefault(project_id, []).append(user_id)
    now = utcnow().replace(second=0, microsecond=0)
    orders = []
    for project_id, assets in sorted(_problem_assets(org).items()):
        for asset in assets:
            when = now - datetime.timedelta(days=rng.uniform(395, 425))
            while when < now - datetime.timedelta(days=2):
                worker = demo_work._worker(teams.get(project_id, []), manager, rng)
                order = _repair(org, manager, asset, worker, when, now, rng)
                orders.append(order)
                if rng.random() < 0.25 and order.completed_at:  # it came back within days
                    again = order.completed_at + datetime.timedelta(days=rng.uniform(0.5, 6))
                    if again < now - datetime.timedelta(hours=6):
                        orders.append(_repair(org, manager, asset, worker, again, now, rng))
                when += datetime.timedelta(days=rng.uniform(10, 35))
    Activity.insert_many(demo_work._timeline).execute()
    demo_work._timeline.clear()
    return orders


def _repair(org, manager, asset, worker, created, now, rng):
    title, priority = rng.choice(FAULTS)
    started = created + datetime.timedelta(hours=rng.uniform(0.5, 10))
    completed = started + datetime.timedelta(hours=rng.uniform(1, 12))
    if completed > now:
        completed = None
    closed = completed + datetime.timedelta(days=rng.uniform(1, 3)) if completed else None
    order = demo_work._new(
        org,
        manager,
        asset.project_id,
        asset,
        worker,
        created,
        title=f"{title}: {asset.name}",
        type="emergency" if priority == "urgent" else "corrective",
        priority=priority,
        due_at=created + datetime.timedelta(days=1),
        estimated_hours=2,
        status="in_progress" if completed is None else ("closed" if closed < now else "completed"),
        started_at=started,
        completed_at=completed,
        completed_by=worker if completed else None,
        closed_at=closed if closed and closed < now else None,
    )
    demo_work._note(order, worker, "status", "Open → In progress", started)
    if completed:
        demo_work._note(order, worker, "status", "In progress → Completed", completed)
    return order


def _planned_visits(org, manager, rng):
    """A monthly planned maintenance visit on one asset of every project, generated week by
    week over the past year by the real generation code."""
    today = datetime.date.today()
    start = today - datetime.timedelta(days=demo_schedules.HISTORY_DAYS)
    for _project, assets in sorted(_problem_assets(org).items()):
        if len(assets) < 2:
            continue
        schedule = demo_schedules._schedule(
            manager,
            assets[1],
            False,
            title="Monthly planned maintenance visit",
            unit="month",
            interval=1,
            lead_days=5,
            start_date=start + datetime.timedelta(days=rng.randint(0, 27)),
        )
        demo_schedules._history(schedule, start, today, rng)


def _showcase(org, users, orders, storage, rng):
    """Two recent repairs with everything a service report shows: a checklist with readings,
    site photos and the client's signature."""
    recent = [o for o in orders if o.status == "completed" and o.asset_id][-2:]
    procedure = (
        Procedure.select().where(Procedure.organisation == org.id).order_by(Procedure.id).first()
    )
    for n, order in enumerate(recent):
        if procedure is not None:
            demo_checklists._checklist(order, procedure, users["technician"], rng)
        signer = demo_signoff.SIGNERS[n % len(demo_signoff.SIGNERS)]
        demo_signoff._sign(org, order, users["technician"], signer, storage, seed=20 + n)
    demo_records._photos(recent, users, storage, rng)


def _recent_visits_done(org, technician, rng, share=0.8):
    """The schedules' history leaves the last month's orders open; most of that work was in
    fact done on time, so the last 30 days' PM compliance is a believable figure (the rest
    stays open and overdue, so the dashboard still has something to chase)."""
    now = utcnow()
    recent = (
        WorkOrder.select(WorkOrder.id, WorkOrder.due_at, WorkOrder.created_at)
        .join(Occurrence, on=(Occurrence.work_order == WorkOrder.id))
        .where(
            WorkOrder.organisation == org.id,
            WorkOrder.status == "open",
            WorkOrder.due_at < now - datetime.timedelta(days=1),
            WorkOrder.due_at >= now - datetime.timedelta(days=35),
        )
        .order_by(WorkOrder.id)
    )
    for order in list(recent):
        if rng.random() > share:
            continue
        # Generated at back-dated times, the orders were created "now": put that right too.
        created = min(order.created_at, order.due_at - datetime.timedelta(days=5))
        done = order.due_at - datetime.timedelta(hours=rng.uniform(0, 20))
        WorkOrder.update(
            created_at=created,
            status="completed",
            started_at=done - datetime.timedelta(hours=1),
            completed_at=done,
            completed_by=technician.id,
            updated_at=done,
        ).where(WorkOrder.id == order.id).execute()


def _scheduled_report(org, manager):
    """Northgate's facilities manager gets the monthly report on the 3rd (the worker sends
    last month's on first start, into the local outbox)."""
    client = Client.get(Client.organisation == org.id, Client.name == "Northgate Mall Ltd")
    save_delivery(
        manager,
        client,
        None,
        3,
        f"{client.email}\n{client.contact_name.split()[0].lower()}@northgatemall.example",
    )


def _logo():
    """A simple mark for "Fettle Demo Services", drawn with Pillow."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (120, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4, 4, 116, 116), radius=22, fill=(18, 52, 59, 255))
    draw.rounded_rectangle((30, 30, 90, 90), radius=8, outline=(94, 234, 212, 255), width=8)
    draw.line((60, 14, 60, 106), fill=(255, 255, 255, 255), width=8)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
