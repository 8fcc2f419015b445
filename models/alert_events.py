"""The events that raise alerts, one function each, called once from the model code that
makes the change (inside its transaction): what happened, to whom it matters, and the key
facts for the inbox and the email. Who may hear it is decided in models/alerts.notify."""

from peewee import JOIN, fn

from .alert_email import local_time
from .alerts import Alert, email_contact, managers_of, notify, notify_many, subject_for
from .asset import Asset
from .base import utcnow
from .client import Client
from .location import Location
from .outbox import path_for
from .project import Project
from .user import User
from .work_order import Assignment, WorkOrder


def order_details(order_ids):
    """{id: order} with its client, project, site time zone and asset: one query."""
    rows = (
        WorkOrder.select(
            WorkOrder,
            Client.id,
            Client.name,
            Client.email,
            Project.id,
            Project.code,
            Project.name,
            Location.id,
            Location.timezone,
            Asset.id,
            Asset.tag,
            Asset.name,
        )
        .join(Client, on=(WorkOrder.client == Client.id))
        .switch(WorkOrder)
        .join(Project, on=(WorkOrder.project == Project.id))
        .switch(WorkOrder)
        .join(Location, on=(WorkOrder.location == Location.id))
        .switch(WorkOrder)
        .join(Asset, JOIN.LEFT_OUTER, on=(WorkOrder.asset == Asset.id))
        .where(WorkOrder.id.in_(list(order_ids)))
    )
    return {row.id: row for row in rows}


def order_alert(kind, order, occurrence, headline, extra=(), actions=()):
    """An alert about a work order (one loaded by order_details)."""
    tz = order.location.timezone
    facts = [("Work order", f"{order.reference} {order.title}"), ("Client", order.client.name)]
    facts.append(("Project", f"{order.project.code} {order.project.name}"))
    if order.asset_id:
        facts.append(("Asset", f"{order.asset.tag} {order.asset.name}"))
    if order.due_at:
        facts.append(("Due", local_time(order.due_at, tz)))
    facts += [("Priority", order.priority.capitalize()), ("Status", order.status_label)]
    return Alert(
        kind=kind,
        occurrence=occurrence,
        subject=subject_for(kind, order, order.client.name),
        headline=headline,
        facts=facts + list(extra),
        path=path_for("work_orders.show", order_id=order.id),
        work_order=order,
        actions=actions,
    )


def _due_text(order):
    return local_time(order.due_at, order.location.timezone) if order.due_at else "no due date"


def _who(actor):
    return actor.name if actor is not None and getattr(actor, "id", None) else "Fettle"


def order_created(order, actor, assignees):
    """A new order's assignees hear of it: "preventive work" when a schedule made it."""
    if not assignees:
        return
    if order.type == "preventive" and getattr(actor, "id", None) is None:
        pm_generated([(order, assignees)])
        return
    order = order_details([order.id])[order.id]
    _assigned(order, actor, [u.id for u in assignees])


def pm_generated(orders):
    """The assignees of orders a schedule made hear of them: [(order, assignees)] as the
    generation pass makes them, read and written together (a few queries a batch)."""
    orders = [(order, people) for order, people in orders if people]
    if not orders:
        return
    details = order_details([order.id for order, _ in orders])
    items = []
    for order, people in orders:
        order = details[order.id]
        alert = order_alert(
            "pm_generated",
            order,
            f"wo{order.id}",
            f"A preventive maintenance schedule generated {order.reference}, due "
            f"{_due_text(order)}.",
            actions=("acknowledge", "start"),
        )
        items.append((alert, order, [u.id for u in people]))
    notify_many(items)


def assignees_changed(order, actor, added_ids, removed_ids=()):
    """New assignees hear they are assigned; people taken off hear that too."""
    if not added_ids and not removed_ids:
        return
    order = order_details([order.id])[order.id]
    if added_ids:
        _assigned(order, actor, list(added_ids))
    if removed_ids:
        alert = order_alert(
            "unassigned",
            order,
            f"wo{order.id}:u{utcnow():%Y%m%d%H%M%S%f}",
            f"{_who(actor)} took you off {order.reference} {order.title}.",
        )
        notify(alert, order, list(removed_ids), actor)


def _assigned(order, actor, user_ids):
    # One occurrence per assignment: assigned again after being taken off is news again.
    newest = (
        Assignment.select(fn.MAX(Assignment.id))
        .where(Assignment.work_order == order.id, Assignment.user.in_(user_ids))
        .scalar()
    )
    alert = order_alert(
        "assigned",
        order,
        f"wo{order.id}:a{newest}",
        f"{_who(actor)} assigned you {order.reference} {order.title}, due {_due_text(order)}.",
        actions=("acknowledge", "start"),
    )
    notify(alert, order, user_ids, actor)


def due_changed(order, actor, old_due, version):
    """The assignees hear of a new (or removed) due date."""
    order = order_details([order.id])[order.id]
    was = local_time(old_due, order.location.timezone) if old_due else "no due date"
    headline = (
        f"{_who(actor)} moved the due date of {order.reference} to {_due_text(order)}."
        if order.due_at
        else f"{_who(actor)} removed the due date of {order.reference}."
    )
    alert = order_alert(
        "due_changed", order, f"wo{order.id}:v{version}", headline, extra=[("Was due", was)]
    )
    notify(alert, order, order.assignee_ids(), actor)


def completed(order, actor):
    """The project's managers hear of completed work; the client's people too when the
    client asked for it (its users in the app or by email, its contact address by email)."""
    order = order_details([order.id])[order.id]
    extra = [("Completed by", _who(actor))]
    if order.completion_notes:
        extra.append(("Notes", _excerpt(order.completion_notes)))
    alert = order_alert(
        "completed",
        order,
        f"wo{order.id}:c{order.completed_at:%Y%m%d%H%M%S}",
        f"{_who(actor)} completed {order.reference} {order.title}.",
        extra=extra,
    )
    people = managers_of(order)
    client = Client.get_by_id(order.client_id)
    if getattr(client, "completion_alerts", False):
        people += [
            u
            for (u,) in User.select(User.id)
            .where(User.client == client.id, User.active == True)  # noqa: E712
            .tuples()
        ]
        users = {e for (e,) in User.select(User.email).where(User.client == client.id).tuples()}
        if client.email and client.email.lower() not in users:
            email_contact(alert, order.organisation_id, client.email, client.id)
    notify(alert, order, people, actor)


def mentioned(order, actor, comment, people):
    """Each person @mentioned in a comment hears of it, with the comment's first lines."""
    if not people:
        return
    order = order_details([order.id])[order.id]
    alert = order_alert(
        "mention",
        order,
        f"c{comment.id}",
        f"{_who(actor)} mentioned you on {order.reference}: “{_excerpt(comment.body, 200)}”",
        extra=[("Comment", _excerpt(comment.body, 1000))],
    )
    notify(alert, order, [p.id for p in people], actor)


def meter_out_of_limits(meter, reading, previous_value, actor):
    """The project's managers hear when a meter's newest reading leaves its limits; the
    readings after it, still outside, are the same excursion and stay quiet."""
    if not meter.out_of_limits(reading.value):
        return
    if previous_value is not None and meter.out_of_limits(previous_value):
        return
    asset = Asset.select(Asset.id, Asset.tag, Asset.name).where(Asset.id == meter.asset_id).get()
    client = Client.select(Client.name).where(Client.id == meter.client_id).scalar()
    tz = Location.select(Location.timezone).where(Location.id == meter.location_id).scalar()
    low = "–" if meter.lower_limit is None else f"{meter.lower_limit:g}"
    high = "–" if meter.upper_limit is None else f"{meter.upper_limit:g}"
    value = f"{reading.value:g} {meter.unit}"
    alert = Alert(
        kind="meter_limit",
        occurrence=f"r{reading.id}",
        subject=f"Meter reading: {asset.tag} {meter.name} {value}, {client}",
        headline=f"{meter.name} on {asset.tag} {asset.name} read {value}, outside its "
        f"limits ({low} to {high} {meter.unit}).",
        facts=[
            ("Asset", f"{asset.tag} {asset.name}"),
            ("Client", client),
            ("Meter", str(meter)),
            ("Reading", value),
            ("Limits", f"{low} to {high} {meter.unit}"),
            ("Read at", local_time(reading.read_at, tz)),
            ("Recorded by", _who(actor)),
        ],
        path=path_for("assets.meter", asset_id=asset.id, meter_id=meter.id),
    )
    notify(alert, meter, managers_of(meter), actor)


def _excerpt(text, length=300):
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
