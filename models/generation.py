"""Turning schedules into work orders, exactly once.

Each occurrence is created in the same transaction as its work order, and the occurrence
row goes first: its unique (schedule, asset, key) means an occurrence that another worker
(or an earlier pass) made is skipped, and nothing else is written for it. The orders of a
batch of schedules are created together (models/pm_orders.py), in occurrences inserted in
one order (schedule, date, asset), so two racing workers queue on each other's rows and
never deadlock.

The periodic pass (tasks/schedules.py) is set-based: one indexed query finds the schedules
whose `generate_at` has come, and one more finds floating or one-open schedules whose last
order has been completed or cancelled. A pass with nothing to do is those two queries.
"""

import datetime
from dataclasses import dataclass

from .asset import Asset
from .base import utcnow
from .forecast import rebuild_forecast, trim_forecast
from .location import Location
from .meter import Meter
from .pm_orders import Due, create_orders
from .recurrence import after, due_at, floating_next, local_date, on_or_after
from .schedule import Occurrence, Schedule, ScheduleError
from .work_order import OPEN_STATUSES, WorkOrder

GRACE = datetime.timedelta(hours=1)  # created this long after it was due: "late"
MAX_PER_SCHEDULE = 60  # occurrences one schedule may create in one pass (the rest: next pass)
BATCH = 500


class SystemActor:
    """Who the worker acts as: the timeline and audit log show no person."""

    id = None
    name = "Schedule"
    role = "admin"
    is_manager = True

    def __init__(self, organisation_id):
        self.organisation_id = organisation_id


def schedule_query():
    """Schedules with the site's time zone, for generation."""
    return Schedule.select(Schedule, Location.id, Location.timezone).join(
        Location, on=(Schedule.location == Location.id)
    )


def group_assets(schedule):
    """The live assets a schedule covers now: its asset, or its category in its project."""
    if schedule.asset_id:
        return [Asset(id=schedule.asset_id, project=schedule.project_id)]
    rows = (
        Asset.select(Asset.id, Asset.project)
        .where(
            Asset.project == schedule.project_id,
            Asset.category == schedule.category,
            Asset.archived_at.is_null(),
            Asset.status != "retired",
        )
        .order_by(Asset.id)
    )
    return list(rows)


def create_occurrence(schedule, asset_id, key, due, actor, late=False, note=""):
    """One occurrence and its work order (models/pm_orders.py); None when it already
    exists."""
    item = Due(schedule, asset_id, key, due, late, note)
    return create_orders([item], lambda _org: actor).get(item.ident)


def _open_assets(schedule):
    """Assets of the schedule with an order still open (for "at most one open order")."""
    rows = (
        Occurrence.select(Occurrence.asset)
        .join(WorkOrder, on=(Occurrence.work_order == WorkOrder.id))
        .where(Occurrence.schedule == schedule.id, WorkOrder.status.in_(OPEN_STATUSES))
        .tuples()
    )
    return {asset_id for (asset_id,) in rows}


def _dates_due(schedule, rule, now, force):
    """The local dates whose order is due to be created by `now`, after the missed policy;
    with the missed dates it dropped."""
    first = local_date(schedule.next_due_at, rule.tz)
    lead = datetime.timedelta(days=schedule.lead_days)
    if force:
        return [first], []
    if schedule.floating:
        return ([first] if due_at(rule, first) - lead <= now else []), []
    dates, day = [], first
    while day is not None and len(dates) < MAX_PER_SCHEDULE and due_at(rule, day) - lead <= now:
        dates.append(day)
        day = after(rule, day)
    past = [d for d in dates if due_at(rule, d) <= now]
    if schedule.missed_policy == "latest" and len(past) > 1:
        return dates[len(past) - 1 :], dates[: len(past) - 1]
    return dates, []


@dataclass
class Plan:
    schedule: Schedule
    rule: object
    items: list
    last_day: datetime.date | None


def _plan(schedule, now, force):
    """What a calendar schedule has due by `now` (with `force`: its next occurrence,
    whatever its lead time), as occurrences to create; None when it has nothing due."""
    if schedule.next_due_at is None:
        return None
    rule = schedule.rule(schedule.location.timezone)
    busy = _open_assets(schedule) if schedule.one_open else set()
    assets = [a for a in group_assets(schedule) if a.id not in busy]
    if schedule.one_open and not schedule.is_group and not assets:
        Schedule.update(generate_at=None, waiting=True).where(Schedule.id == schedule.id).execute()
        return None
    dates, skipped = _dates_due(schedule, rule, now, force)
    missed = len(skipped)
    _record_skipped(schedule, rule, skipped, assets)
    items, last_day = [], None
    for n, day in enumerate(dates):
        due = due_at(rule, day)
        late = (due < now - GRACE or (n == 0 and missed > 0)) and not force
        note = ""
        if n == 0 and missed:
            note = f"Generated late: {missed} missed occurrence(s) before this one were skipped."
        elif late:
            note = "Generated late: the schedule's worker was not running when it was due."
        items += [Due(schedule, asset.id, day.isoformat(), due, late, note) for asset in assets]
        last_day = day
        if schedule.one_open and not schedule.is_group:
            break  # the next waits until this one is done (and is created then, if missed)
    return Plan(schedule, rule, items, last_day)


def generate_many(schedules, now=None, actor=None, force=False):
    """Create what these schedules have due, their orders together (a transaction per
    chunk of occurrences), then move each schedule on; returns the orders created."""
    now = now or utcnow()
    plans = [plan for plan in (_plan(s, now, force) for s in schedules) if plan is not None]
    items = [item for plan in plans for item in plan.items]
    made = create_orders(items, (lambda _org: actor) if actor else SystemActor)
    created = []
    for plan in plans:
        mine = [made[item.ident] for item in plan.items if item.ident in made]
        created += mine
        last = mine[-1].id if mine else None
        if not mine and plan.items:  # made by another worker (or a pass cut short)
            first = plan.items[0]
            last = _order_of(plan.schedule, first.asset_id, first.key)
        _advance(plan.schedule, plan.rule, plan.last_day, last)
    return created


def generate_for(schedule, now=None, actor=None, force=False):
    """Create what one schedule has due by `now` (see generate_many and _plan)."""
    return generate_many([schedule], now, actor, force)


def _order_of(schedule, asset_id, key):
    return (
        Occurrence.select(Occurrence.work_order)
        .where(
            Occurrence.schedule == schedule.id, Occurrence.asset == asset_id, Occurrence.key == key
        )
        .scalar()
    )


def _record_skipped(schedule, rule, days, assets):
    """Occurrences the missed policy skipped stay on record without an order: they were due
    and not done, and PM compliance must count them."""
    rows = [
        {
            "organisation": schedule.organisation_id,
            "schedule": schedule.id,
            "asset": asset.id,
            "key": day.isoformat(),
            "due_at": due_at(rule, day),
            "deadline_at": Occurrence.deadline_for(due_at(rule, day), rule.tz),
            "late": True,
        }
        for day in days
        for asset in assets
    ]
    if rows:
        Occurrence.insert_many(rows).on_conflict_ignore().execute()


def _advance(schedule, rule, last_day, last_order_id):
    """Move the schedule past `last_day`: the next fixed occurrence, or wait for its order
    to be done. An occurrence another worker created counts as made here: both workers
    then write the same state, so a floating schedule never moves on while it waits."""
    fields = {"updated_at": utcnow()}
    if last_order_id:
        fields["last_order"] = last_order_id
    waits = schedule.floating or (schedule.one_open and not schedule.is_group)
    if last_day is None:
        pass
    elif waits and last_order_id:
        fields.update(next_due_at=None, generate_at=None, waiting=True)
        if schedule.floating and schedule.trigger == "either":
            fields["next_meter_at"] = None
        if not schedule.floating:  # one open order: the grid goes on, generation waits
            nxt = after(rule, last_day)
            fields["next_due_at"] = due_at(rule, nxt) if nxt else None
    else:
        nxt = after(rule, last_day)
        fields.update(_due_fields(schedule, rule, nxt))
    Schedule.update(**fields).where(Schedule.id == schedule.id).execute()
    for name, value in fields.items():
        setattr(schedule, name, value)


def _due_fields(schedule, rule, day):
    if day is None:
        return {"next_due_at": None, "generate_at": None}
    due = due_at(rule, day)
    return {"next_due_at": due, "generate_at": due - datetime.timedelta(days=schedule.lead_days)}


def first_occurrence(schedule, now=None):
    """Where a new or edited schedule starts: its first grid date whose due time has not
    passed, and after any occurrence already generated (an edit creates nothing missed)."""
    now = now or utcnow()
    rule = schedule.rule()
    day = local_date(now, rule.tz)
    if schedule.id is not None:
        latest = (
            Occurrence.select(Occurrence.due_at)
            .where(Occurrence.schedule == schedule.id, ~Occurrence.key.startswith("m:"))
            .order_by(Occurrence.due_at.desc())
            .scalar()
        )
        if latest is not None:
            day = max(day, local_date(latest, rule.tz) + datetime.timedelta(days=1))
    found = on_or_after(rule, day)
    if found is not None and due_at(rule, found) < now:
        found = after(rule, found)
    return found


def refresh_waiting(now=None):
    """Schedules waiting for their last order, whose order is now completed or cancelled:
    a floating one counts its next due from the completion day (and, "whichever comes
    first", its next meter threshold from the meter's value then); a one-open one resumes
    (a meter one creating at once the order for a threshold reached meanwhile: returned)."""
    from .meter_schedules import release

    now = now or utcnow()
    rows = list(
        schedule_query()
        .select_extend(WorkOrder.id, WorkOrder.status, WorkOrder.completed_at, WorkOrder.updated_at)
        .join_from(Schedule, WorkOrder, on=(Schedule.last_order == WorkOrder.id))
        .where(
            Schedule.waiting == True,  # noqa: E712
            Schedule.paused == False,  # noqa: E712
            Schedule.archived_at.is_null(),
            WorkOrder.status.not_in(OPEN_STATUSES),
        )
    )
    released = []
    for schedule in rows:
        order = schedule.last_order
        rule = schedule.rule(schedule.location.timezone)
        fields = {"waiting": False, "updated_at": now}
        if schedule.floating:
            done_on = local_date(order.completed_at or order.updated_at, rule.tz)
            fields.update(_due_fields(schedule, rule, floating_next(rule, done_on)))
            if schedule.trigger == "either" and schedule.meter_id and schedule.meter_interval:
                value = Meter.select(Meter.last_value).where(Meter.id == schedule.meter_id).scalar()
                fields["next_meter_at"] = (value or 0.0) + schedule.meter_interval
        elif schedule.next_due_at is not None:
            fields["generate_at"] = schedule.next_due_at - datetime.timedelta(
                days=schedule.lead_days
            )
        resumed = (
            Schedule.update(**fields)
            .where(Schedule.id == schedule.id, Schedule.waiting == True)  # noqa: E712
            .execute()
        )
        if resumed and schedule.trigger == "meter":
            released.append(schedule)
    if rows:
        rebuild_forecast([schedule.id for schedule in rows], now)
    return release(released, now) if released else []


def run_pass(now=None, limit=None):
    """One generation pass: resume schedules whose last order is done, then create every
    order whose time has come. Returns the number of orders created."""
    now = now or utcnow()
    created, last_id = len(refresh_waiting(now)), 0
    while limit is None or created < limit:
        # Keyset by id: a schedule still due after its turn (capped) waits for the next pass.
        batch = list(
            schedule_query()
            .where(
                Schedule.generate_at <= now,
                Schedule.paused == False,  # noqa: E712
                Schedule.archived_at.is_null(),
                Schedule.id > last_id,
            )
            .order_by(Schedule.id)
            .limit(BATCH)
        )
        if not batch:
            break
        last_id = batch[-1].id
        created += len(generate_many(batch, now))
        trim_forecast([schedule.id for schedule in batch])
    return created


def generate_now(schedule, actor):
    """The "Generate now" button: the schedule's next occurrence at once."""
    from .meter_schedules import generate_meter_now

    schedule = schedule_query().where(Schedule.id == schedule.id).get()
    if schedule.waiting:
        raise ScheduleError(
            "The last order is still open: the next is created when it is done or cancelled."
        )
    if schedule.uses_calendar and schedule.next_due_at is not None:
        created = generate_for(schedule, actor=actor, force=True)
    elif schedule.uses_meter and schedule.next_meter_at is not None:
        created = generate_meter_now(schedule, actor)
    else:
        raise ScheduleError("This schedule has no next occurrence (it has ended).")
    if not created:
        raise ScheduleError("The next occurrence has already been created.")
    trim_forecast([schedule.id])
    return created
