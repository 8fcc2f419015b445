"""Meter schedules: an order every N units of an asset's meter, triggered by its readings.

A reading that reaches the next threshold creates one order, for the highest threshold it
reached: a reading that jumps past two thresholds at once makes one order (noting the
threshold skipped), whatever the missed-occurrence policy, since servicing twice at once
helps nobody. The next threshold stays on the grid (every 500 h: 500, 1000, 1500...) for a
meter schedule; "whichever comes first" counts it from the meter's value at completion.
"""

import datetime
import math

from .base import utcnow
from .generation import _open_assets, create_occurrence, schedule_query
from .recurrence import due_at, local_date
from .schedule import Schedule


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
        if schedule.one_open and _open_assets(schedule):
            continue  # the next reading after it is done triggers it
        threshold, skipped = crossed_threshold(
            schedule.next_meter_at, schedule.meter_interval, value
        )
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
            created.append(order)
            fields["last_order"] = order.id
            if schedule.trigger == "either":
                fields.update(next_due_at=None, generate_at=None, next_meter_at=None, waiting=True)
        Schedule.update(**fields).where(Schedule.id == schedule.id).execute()
    return created


def generate_meter_now(schedule, actor):
    """ "Generate now" on a meter schedule: the order for its next threshold, at once."""
    from .meter import Meter

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
    return [order]
