"""Meter schedules: an order every N units of an asset's meter, triggered by its readings.

A reading that reaches the next threshold creates one order, for the highest threshold it
reached: a reading that jumps past two thresholds at once makes one order (noting the
threshold skipped), whatever the missed-occurrence policy, since servicing twice at once
helps nobody. The next threshold stays on the grid (every 500 h: 500, 1000, 1500...) for a
meter schedule; "whichever comes first" counts it from the meter's value at completion.

With "at most one open order", a threshold reached while the last order is open does not
wait for another reading: the schedule waits for the order, and when it is completed or
cancelled the pass creates the order for the highest threshold the meter has reached.
"""

import datetime
import math

from .base import utcnow
from .forecast import trim_forecast
from .generation import SystemActor, _open_assets, create_occurrence, schedule_query
from .meter import Meter
from .recurrence import due_at, local_date
from .schedule import Occurrence, Schedule, ScheduleError
from .work_order import OPEN_STATUSES, WorkOrder


def next_threshold(last_value, interval, base=0.0):
    """The first multiple of `interval` above `base` that is above `last_value`."""
    value = last_value or 0.0
    steps = math.floor((value - base) / interval) + 1
    return base + max(1, steps) * interval


def crossed_threshold(next_at, interval, value):
    """The highest threshold a reading of `value` has reached (None: none), and how many
    thresholds it skipped on the way (a jump past two makes one order, noting one skipped)."""
    if next_at is None or value < next_at:
        return None, 0
    steps = math.floor((value - next_at) / interval)
    return next_at + steps * interval, steps


def on_reading(meter, value, read_at, actor):
    """Called by Meter.add_reading: meter schedules whose next threshold the reading has
    reached get one order (for the highest threshold reached; a jump past several notes the
    ones skipped), due on the reading's local day plus the lead time."""
    schedules = list(
        schedule_query().where(
            Schedule.meter == meter.id,
            Schedule.trigger.in_(("meter", "either")),
            Schedule.paused == False,  # noqa: E712
            Schedule.archived_at.is_null(),
            Schedule.waiting == False,  # noqa: E712
            Schedule.next_meter_at <= value,
        )
    )
    created = []
    for schedule in schedules:
        if schedule.one_open and _hold_for_open_order(schedule):
            continue  # created when the open order is done (refresh_waiting, then release)
        order = _create_for_threshold(schedule, meter, value, read_at, actor)
        if order is not None:
            created.append(order)
    return created


def _create_for_threshold(schedule, meter, value, read_at, actor):
    """The order for the highest threshold `value` has reached, due on `read_at`'s local
    day plus the lead time; the schedule moves to the next threshold (or, "whichever comes
    first", waits for the order with both counters cleared)."""
    threshold, skipped = crossed_threshold(schedule.next_meter_at, schedule.meter_interval, value)
    if threshold is None:
        return None
    rule = schedule.rule(schedule.location.timezone)
    day = local_date(read_at, rule.tz) + datetime.timedelta(days=schedule.lead_days)
    note = f"Meter {meter.name} reached {value:g} {meter.unit} (due at {threshold:g})."
    if skipped:
        note += f" The reading passed {skipped} earlier threshold(s): one order covers them."
    order = create_occurrence(
        schedule, schedule.asset_id, f"m:{threshold:g}", due_at(rule, day), actor, False, note
    )
    fields = {"next_meter_at": threshold + schedule.meter_interval, "updated_at": utcnow()}
    if order is not None:
        fields["last_order"] = order.id
        if schedule.trigger == "either":
            fields.update(next_due_at=None, generate_at=None, next_meter_at=None, waiting=True)
    Schedule.update(**fields).where(Schedule.id == schedule.id).execute()
    if order is not None and schedule.trigger == "either":
        trim_forecast([schedule.id])  # its calendar date waits for the order now
    return order


def _hold_for_open_order(schedule):
    """True when the schedule has an open order: it then waits for that order (so the pass
    picks it up once the order is done or cancelled, without waiting for another reading)."""
    open_order = (
        WorkOrder.select(WorkOrder.id)
        .join(Occurrence, on=(Occurrence.work_order == WorkOrder.id))
        .where(Occurrence.schedule == schedule.id, WorkOrder.status.in_(OPEN_STATUSES))
        .order_by(WorkOrder.id.desc())
        .scalar()
    )
    if open_order is None:
        return False
    Schedule.update(waiting=True, last_order=open_order).where(Schedule.id == schedule.id).execute()
    return True


def release(schedules, now):
    """Meter schedules whose open order was just done or cancelled: the order for any
    threshold the meter reached meanwhile, due from today (its reading was held back)."""
    meters = {
        m.id: m
        for m in Meter.select().where(Meter.id.in_({s.meter_id for s in schedules if s.meter_id}))
    }
    created = []
    for schedule in schedules:
        meter = meters.get(schedule.meter_id)
        if meter is None or meter.last_value is None or schedule.next_meter_at is None:
            continue
        actor = SystemActor(schedule.organisation_id)
        order = _create_for_threshold(schedule, meter, meter.last_value, now, actor)
        if order is not None:
            created.append(order)
    return created


def generate_meter_now(schedule, actor):
    """ "Generate now" on a meter schedule: the order for its next threshold, at once."""
    if schedule.one_open and _open_assets(schedule):
        raise ScheduleError(
            "The last order is still open: the next is created when it is done or cancelled."
        )
    meter = Meter.get_by_id(schedule.meter_id)
    threshold = schedule.next_meter_at
    rule = schedule.rule(schedule.location.timezone)
    day = local_date(utcnow(), rule.tz) + datetime.timedelta(days=schedule.lead_days)
    note = f"Created ahead of the meter: {meter.name} due at {threshold:g} {meter.unit}."
    order = create_occurrence(
        schedule, schedule.asset_id, f"m:{threshold:g}", due_at(rule, day), actor, False, note
    )
    if order is None:
        return []
    fields = {"next_meter_at": threshold + schedule.meter_interval, "last_order": order.id}
    if schedule.trigger == "either":
        fields.update(next_due_at=None, generate_at=None, next_meter_at=None, waiting=True)
    Schedule.update(**fields).where(Schedule.id == schedule.id).execute()
    trim_forecast([schedule.id])
    return [order]
