"""The demo's procedures, and checklists on some of its work orders: answered in full on
finished work, half-way on work in progress, with a few readings out of limits and one
failed belt that has its follow-up order, so a new user sees checklists at every stage."""

import datetime
import io
import random
from decimal import Decimal

from .asset import Asset
from .base import db, utcnow
from .checklist import ChecklistItem
from .procedure import Procedure
from .user import ProjectMember
from .work_order import OPEN_STATUSES, Activity, WorkOrder


def _n(label, unit, low=None, high=None, required=False, guidance=""):
    low = Decimal(str(low)) if low is not None else None
    high = Decimal(str(high)) if high is not None else None
    return {
        "label": label,
        "kind": "number",
        "unit": unit,
        "lower_limit": low,
        "upper_limit": high,
        "required": required,
        "guidance": guidance,
    }


def _i(label, kind, required=False, guidance=""):
    return {"label": label, "kind": kind, "required": required, "guidance": guidance}


PROCEDURES = {
    "AHU quarterly service": (
        "Quarterly planned maintenance of an air handling unit, to the SFG20 schedule.",
        ("Air handling unit", "Rooftop unit"),
        [
            _i("Unit isolated and locked off", "checkbox", True),
            _i("Filters replaced", "checkbox", True),
            _n("Filter pressure drop after change", "Pa", high=150),
            _i(
                "Fan belt condition and tension",
                "passfail",
                True,
                "About 15 mm deflection per metre of span; no cracks or glazing.",
            ),
            _n("Supply air temperature", "°C", 12, 18, guidance="At the first duct test point."),
            _n("Fan motor current", "A", high=12.5),
            _i("Condensate drain pan clean and draining", "passfail"),
            _i("Photo of the filter bank after service", "photo"),
            _i("Remarks for the client", "text"),
        ],
    ),
    "Chiller monthly check": (
        "Monthly running check of a water chiller; log readings at steady load.",
        ("Chiller",),
        [
            _n("Evaporator leaving water temperature", "°C", 5, 8, True),
            _n("Condenser entering water temperature", "°C", 20, 32),
            _n("Suction pressure", "bar", 2.5, 4.5),
            _n("Discharge pressure", "bar", 8, 16),
            _i("Oil level visible in the sight glass", "passfail", True),
            _i(
                "Refrigerant leak check",
                "passfail",
                True,
                "Electronic detector at joints, valves and the compressor.",
            ),
            _n("Compressor running current", "A", high=180),
            _i("Notes", "text"),
        ],
    ),
    "Fire extinguisher annual inspection": (
        "Annual basic service to BS 5306-3.",
        ("Fire extinguisher",),
        [
            _i("In its place, visible and unobstructed", "passfail", True),
            _i("Pressure gauge in the green zone", "passfail", True),
            _i("Safety pin and tamper seal intact", "passfail", True),
            _n("Gross weight", "kg", 12.5, 13.5, guidance="9 l water unit: 13 kg ± 0.5."),
            _i("Hose and nozzle free of damage", "passfail"),
            _i("Service label updated and signed", "checkbox", True),
        ],
    ),
    "Standby generator monthly run test": (
        "Monthly off-load start and on-load run of a standby generator.",
        ("Standby generator",),
        [
            _n("Fuel level", "%", low=75),
            _i("Coolant level and jacket heater working", "passfail"),
            _n("Battery voltage", "V", 24, 28.5),
            _i("Starts on simulated mains failure", "passfail", True),
            _i("Ran on load for 30 minutes", "checkbox", True),
            _n("Output frequency", "Hz", 49.5, 50.5),
            _i("Log book signed", "checkbox"),
        ],
    ),
}
NOTES = ("All good.", "Slight noise from the bearing, monitor next visit.", "Area tidied.")


def load(org, users, orders, storage=None, seed=11):
    """Procedures for the demo organisation, and checklists on matching demo orders (or on a
    few orders of its own when none match). `users` maps role -> User."""
    rng = random.Random(seed)
    author = users.get("admin") or users["manager"]
    technician = users["technician"]
    with db.atomic():
        procedures = {
            name: Procedure.create_with_items(author, name, description, items)
            for name, (description, _categories, items) in PROCEDURES.items()
        }
        by_category = {
            category: procedures[name]
            for name, (_d, categories, _items) in PROCEDURES.items()
            for category in categories
        }
        chosen = _matching(orders, by_category) or _own_orders(org, author, technician, by_category)
        for order, procedure in chosen:
            _checklist(order, procedure, technician, rng)
        _failed_belt(chosen, technician, storage)
    return procedures


def _matching(orders, by_category):
    """Up to 40 orders on plant that has a procedure, at most 12 in each state."""
    ids = [o.id for o in orders if o.asset_id]
    categories = dict(
        WorkOrder.select(WorkOrder.id, Asset.category)
        .join(Asset, on=(WorkOrder.asset == Asset.id))
        .where(WorkOrder.id.in_(ids))
        .tuples()
    )
    chosen, per_status = [], {}
    for order in orders:
        procedure = by_category.get(categories.get(order.id))
        if procedure is None or order.status == "cancelled":
            continue
        if per_status.get(order.status, 0) >= 12 or len(chosen) >= 40:
            continue
        per_status[order.status] = per_status.get(order.status, 0) + 1
        chosen.append((order, procedure))
    return chosen


def _own_orders(org, author, technician, by_category):
    """Three jobs of our own when the demo has no matching orders yet, on the demo
    technician's projects where it has such plant, and assigned to them there."""
    chosen = []
    theirs = ProjectMember.select(ProjectMember.project).where(ProjectMember.user == technician.id)
    for procedure in dict.fromkeys(by_category.values()):
        categories = [c for c, p in by_category.items() if p == procedure]
        asset = (
            Asset.select()
            .where(
                Asset.organisation == org.id,
                Asset.category.in_(categories),
                Asset.parent.is_null(),
            )
            .order_by(Asset.project.in_(theirs).desc(), Asset.id)
            .first()
        )
        if asset is None or len(chosen) >= 3:
            continue
        member = theirs.where(ProjectMember.project == asset.project_id).exists()
        order = WorkOrder.open_for(
            author,
            asset.project,
            [technician] if member else [],
            asset=asset,
            type="inspection" if "inspection" in procedure.name else "preventive",
            title=procedure.name,
            due_at=utcnow() + datetime.timedelta(days=2),
        )
        chosen.append((order, procedure))
    if chosen:
        chosen[0][0].transition(author, "in_progress", "open")
    return chosen


def _checklist(order, procedure, technician, rng):
    """The copy, then answers as far as the order has got (written directly: finished
    orders no longer take answers through the app)."""
    if order.status in OPEN_STATUSES:
        ChecklistItem.attach(technician, order, procedure)
    else:
        for n, item in enumerate(procedure.item_list(), start=1):
            ChecklistItem.create(
                organisation=order.organisation_id,
                work_order=order.id,
                procedure=procedure.id,
                position=n,
                **item.spec(),
            )
    if order.status == "open":
        return
    items = ChecklistItem.for_order(order)
    share = 1.0 if order.status in ("completed", "closed") else 0.5
    when = order.completed_at or order.started_at or utcnow()
    for item in items[: max(1, round(len(items) * share))]:
        fields = _answer(item, rng)
        if fields is None:
            continue
        ChecklistItem.update(answered_at=when, answered_by=technician.id, **fields).where(
            ChecklistItem.id == item.id
        ).execute()


def _answer(item, rng):
    if item.kind == "checkbox":
        return {"answer": "done"}
    if item.kind == "passfail":
        return {"answer": rng.choices(("pass", "na"), (12, 1))[0]}
    if item.kind == "text":
        return {"answer": rng.choice(NOTES)}
    if item.kind == "photo":
        return None
    low, high = item.lower_limit, item.upper_limit
    if low is not None and high is not None:
        base = float(low + high) / 2
    else:  # one limit: a reading comfortably on the right side of it, now and then not
        base = float(high) * 0.8 if high is not None else float(low) * 1.15
    value = Decimal(str(round(base * rng.uniform(0.9, 1.1), 1)))
    flag = ""
    if low is not None and value < low:
        flag = "below"
    elif high is not None and value > high:
        flag = "above"
    return {"answer": f"{value.normalize():f}", "number_value": value, "flag": flag}


def _failed_belt(chosen, technician, storage):
    """One failed item with its follow-up order: a cracked AHU belt, photographed."""
    for order, _procedure in chosen:
        if order.status not in ("in_progress", "on_hold"):
            continue
        items = ChecklistItem.for_order(order)
        item = next((i for i in items if "belt" in i.label.lower()), None)
        if item is None:
            continue
        evidence = (_photo("belt"), "belt.jpg") if storage is not None else None
        note = "Belt cracked along one edge and glazed; no spare on site."
        item.record(technician, "fail", note, photo=evidence, storage=storage)
        if storage is not None:
            photo = next((i for i in items if i.kind == "photo"), None)
            if photo is not None:
                photo.record(technician, photo=(_photo("filters"), "filters.jpg"), storage=storage)
        item.raise_follow_up(technician)
        Activity.note(order, technician, "comment", "Belt needs replacing: raised a follow-up.")
        return


def _photo(subject):
    """A drawn stand-in for a site photo: a filter bank with pleats, or a pulley and a belt
    with a crack."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (120, 126, 134))
    draw = ImageDraw.Draw(image)
    if subject == "filters":
        for x in range(40, 600, 24):
            draw.line([(x, 60), (x + 12, 420)], fill=(210, 214, 220), width=6)
        draw.rectangle([30, 50, 610, 430], outline=(40, 44, 50), width=8)
    else:
        draw.ellipse([60, 120, 300, 360], outline=(30, 30, 30), width=18)
        draw.ellipse([400, 170, 540, 310], outline=(30, 30, 30), width=14)
        draw.line([(180, 120), (470, 170)], fill=(25, 25, 25), width=22)
        draw.line([(180, 360), (470, 310)], fill=(25, 25, 25), width=22)
        draw.line([(300, 140), (318, 128), (330, 150), (346, 136)], fill=(230, 60, 40), width=5)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()
