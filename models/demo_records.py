"""The demo's recorded work: time by the assigned technicians, parts, comments that mention
people, downtime on finished corrective work, completion notes and a few site photos.

Rows are inserted in bulk with believable times (during the work, not "now"), together with
the timeline lines they would have written, so a new user sees a lived-in system.
Call `load(org, users, orders, storage=None)` after the demo's work orders exist; photos
are stored only when a storage is given.
"""

import datetime
import io
import random

from .base import utcnow
from .comment import Comment, Mention
from .downtime import Downtime
from .part import PartUsed
from .time_entry import TimeEntry
from .work_order import Activity, Assignment, WorkOrder
from .work_order_file import WorkOrderFile
from .work_order_records import format_minutes

WORKED = ("in_progress", "on_hold", "completed", "closed")
FINISHED = ("completed", "closed")
PARTS = (
    ("V-belt SPA 1250", "12.50"),
    ("Panel filter G4 592x592x48", "8.90"),
    ("Bag filter F7 592x592", "24.00"),
    ("Contactor 3-pole 25 A", "38.00"),
    ("Refrigerant R32 (kg)", "46.00"),
    ("Bearing 6205-2RS", "7.40"),
    ("Fuse 10 A gG", "1.80"),
    ("Door lock microswitch", "19.50"),
    ("NTC temperature sensor", "14.20"),
    ("Condensate pump", "89.00"),
)
NOTES = (
    "Diagnosis and isolation",
    "Replaced worn parts, tested",
    "Travel and site induction",
    "Cleaned and re-commissioned",
    "",
)
COMPLETION = (
    "Replaced the worn parts, ran the unit for 30 minutes under load: readings normal.",
    "Found a loose terminal in the control panel; re-terminated and torque-checked all. "
    "Client's site contact informed.",
    "Cleaned coils and filters, checked refrigerant pressures and safety cut-outs. "
    "Recommend a filter change in three months.",
)


def load(org, users, orders, storage=None, seed=11):
    """Record work on the demo's orders; returns how many rows of each kind were added."""
    rng = random.Random(seed)
    now = utcnow()
    worked = [o for o in orders if o.status in WORKED and _start(o) < now]
    team = _assignees(worked)
    rows = {"time": [], "parts": [], "down": [], "activity": []}
    for order in worked:
        who = team.get(order.id) or [users["technician"].id]
        _time(order, who, rng, now, rows)
        _parts(order, who[0], rng, now, rows)
        _downtime(order, who[0], rng, now, rows)
    for model, key in ((TimeEntry, "time"), (PartUsed, "parts"), (Downtime, "down")):
        if rows[key]:
            model.insert_many(rows[key]).execute()
    if rows["activity"]:
        Activity.insert_many(rows["activity"]).execute()
    _completion_notes(worked, rng)
    comments = _comments(worked, users, team, rng, now)
    photos = _photos(worked, users, storage, rng) if storage is not None else 0
    return {
        "time_entries": len(rows["time"]),
        "parts": len(rows["parts"]),
        "downtime": len(rows["down"]),
        "comments": comments,
        "photos": photos,
    }


def _start(order):
    return order.started_at or order.created_at


def _end(order, now):
    end = order.completed_at or min(now, _start(order) + datetime.timedelta(days=2))
    return max(end, _start(order) + datetime.timedelta(hours=1))


def _assignees(orders):
    team = {}
    ids = [o.id for o in orders]
    for order_id, user_id in (
        Assignment.select(Assignment.work_order, Assignment.user)
        .where(Assignment.work_order.in_(ids))
        .order_by(Assignment.id)
        .tuples()
    ):
        team.setdefault(order_id, []).append(user_id)
    return team


def _line(order, user_id, kind, body, at):
    return {
        "organisation": order.organisation_id,
        "work_order": order.id,
        "user": user_id,
        "kind": kind,
        "body": body,
        "created_at": at,
        "updated_at": at,
    }


def _time(order, who, rng, now, rows):
    start, end = _start(order), _end(order, now)
    for n in range(rng.randint(1, 3)):
        user_id = who[n % len(who)]
        minutes = rng.choice((20, 30, 45, 60, 75, 90, 120, 150, 180, 240))
        began = start + (end - start) * rng.random() * 0.8
        finished = min(began + datetime.timedelta(minutes=minutes), now)
        minutes = max(1, round((finished - began).total_seconds() / 60))
        source = rng.choice(("timer", "timer", "manual"))
        rows["time"].append(
            {
                "organisation": order.organisation_id,
                "work_order": order.id,
                "user": user_id,
                "source": source,
                "started_at": began,
                "ended_at": finished,
                "minutes": minutes,
                "note": rng.choice(NOTES),
                "created_at": finished,
                "updated_at": finished,
            }
        )
        body = f"Logged {format_minutes(minutes)}" + (
            " by the timer" if source == "timer" else f" on {began:%d %b %Y}"
        )
        rows["activity"].append(_line(order, user_id, "time", body, finished))


def _parts(order, user_id, rng, now, rows):
    if rng.random() < 0.35:
        return
    at = _start(order) + (_end(order, now) - _start(order)) / 2
    for description, cost in rng.sample(PARTS, rng.randint(1, 3)):
        quantity = rng.choice((1, 1, 1, 2, 4)) if "(kg)" not in description else 1.5
        rows["parts"].append(
            {
                "organisation": order.organisation_id,
                "work_order": order.id,
                "description": description,
                "quantity": quantity,
                "unit_cost": cost,
                "added_by": user_id,
                "created_at": at,
                "updated_at": at,
            }
        )
        body = f"Added {quantity:g} × {description} at {cost}"
        rows["activity"].append(_line(order, user_id, "part", body, at))


def _downtime(order, user_id, rng, now, rows):
    """Finished corrective and emergency work on an asset took it out of service a while."""
    if not (order.asset_id and order.status in FINISHED):
        return
    if order.type not in ("corrective", "emergency") and not order.asset_down:
        return
    began = order.created_at - datetime.timedelta(hours=rng.randint(0, 6))
    ended = min(_end(order, now), began + datetime.timedelta(hours=rng.randint(2, 30)))
    minutes = max(1, round((ended - began).total_seconds() / 60))
    rows["down"].append(
        {
            "organisation": order.organisation_id,
            "work_order": order.id,
            "asset": order.asset_id,
            "started_at": began,
            "ended_at": ended,
            "minutes": minutes,
            "note": "Out of service until the repair was tested",
            "recorded_by": user_id,
            "created_at": ended,
            "updated_at": ended,
        }
    )
    body = f"Recorded {format_minutes(minutes)} of downtime"
    rows["activity"].append(_line(order, user_id, "downtime", body, ended))


def _completion_notes(orders, rng):
    for order in orders:
        if order.status in FINISHED and not order.completion_notes:
            order.completion_notes = rng.choice(COMPLETION)
            WorkOrder.update(completion_notes=order.completion_notes).where(
                WorkOrder.id == order.id
            ).execute()


def _comments(orders, users, team, rng, now):
    """A few conversations; the first line of each mentions the manager or a technician."""
    manager, made = users["manager"], 0
    for order in rng.sample(orders, min(len(orders), max(3, len(orders) // 8))):
        tech_id = (team.get(order.id) or [users["technician"].id])[0]
        at = min(
            _start(order) + datetime.timedelta(hours=rng.randint(1, 20)),
            now - datetime.timedelta(hours=1),
        )
        lines = [
            (
                tech_id,
                f"@{manager.name} parts are on order, back on site once they arrive.",
                [manager.id],
            ),
            (manager.id, "Thanks, I have told the client.", []),
        ]
        for n, (user_id, text, mentioned) in enumerate(lines[: rng.randint(1, 2)]):
            when = at + datetime.timedelta(minutes=35 * n)
            activity = Activity.create(**_line(order, user_id, "comment", text, when))
            comment = Comment.create(
                organisation=order.organisation_id,
                work_order=order.id,
                user=user_id,
                body=text,
                activity=activity.id,
                created_at=when,
                updated_at=when,
            )
            for person in mentioned:
                Mention.create(
                    organisation=order.organisation_id,
                    comment=comment,
                    user=person,
                    created_at=when,
                    updated_at=when,
                )
            made += 1
    return made


def _photos(orders, users, storage, rng):
    """Before and after photos on two completed orders, drawn with Pillow."""
    finished = [o for o in orders if o.status == "completed" and o.asset_id][:2]
    for order in finished:
        pictures = [(_photo(order, rng, n), f"{order.reference} photo {n}.jpg") for n in (1, 2)]
        WorkOrderFile.upload(users["technician"], order, storage, pictures)
    return 2 * len(finished)


def _photo(order, rng, n):
    from PIL import Image, ImageDraw, ImageFont

    base = tuple(rng.randint(50, 130) for _ in range(3))
    image = Image.new("RGB", (1024, 768), base)
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        x, y = rng.randint(0, 900), rng.randint(0, 650)
        shade = tuple(min(255, c + rng.randint(30, 100)) for c in base)
        draw.rectangle((x, y, x + rng.randint(60, 320), y + rng.randint(20, 200)), fill=shade)
    draw.rectangle((0, 690, 1024, 768), fill=(20, 20, 20))
    label = f"{order.reference}  {'before' if n == 1 else 'after'}"
    draw.text((24, 705), label, fill="white", font=ImageFont.load_default(size=36))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()
