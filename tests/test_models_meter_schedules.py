"""Meter schedules on their edges: readings that jump past two thresholds, "whichever
comes first" resetting both counters, and a threshold reached while the one open order
the schedule allows is still open."""

import datetime as dt

import pytest
from test_models_schedules import make_schedule, orders_of, site  # noqa: F401  (fixture)

from models import Meter, Occurrence, Schedule, WorkOrder, utcnow
from models.generation import generate_now, run_pass
from models.recurrence import add_months, due_at, local_date
from models.schedule import ScheduleError


@pytest.fixture
def meter(site):  # noqa: F811
    meter = Meter.create_for(site.manager, site.asset, name="Runtime", unit="h")
    meter.add_reading(site.manager, 100, read_at=dt.datetime(2025, 1, 1))
    return meter


def finish(order, actor, how="completed"):
    """Through the lifecycle, as a technician or a manager would."""
    order = WorkOrder.get_by_id(order.id)
    if how == "cancelled":
        return order.transition(actor, "cancelled", "open", reason="Not needed")
    order.transition(actor, "in_progress", "open")
    return order.transition(actor, "completed", "in_progress")


def test_a_jump_past_two_thresholds_makes_one_order_for_the_highest(site, meter):  # noqa: F811
    schedule = make_schedule(site, trigger="meter", meter=meter, meter_interval=500)
    meter.add_reading(site.manager, 1600)  # past 500, 1000 and 1500
    (order,) = orders_of(schedule)
    assert Occurrence.get().key == "m:1500"
    assert "passed 2 earlier threshold(s)" in order.description
    assert Schedule.get_by_id(schedule.id).next_meter_at == 2000  # still on the 500 h grid
    meter.add_reading(site.manager, 1900)
    assert len(orders_of(schedule)) == 1


@pytest.mark.parametrize("how", ["completed", "cancelled"])
def test_one_open_order_holds_a_threshold_until_the_order_is_done(site, meter, how):  # noqa: F811
    schedule = make_schedule(
        site, trigger="meter", meter=meter, meter_interval=500, one_open=True, lead_days=2
    )
    meter.add_reading(site.manager, 520)
    (first,) = orders_of(schedule)
    meter.add_reading(site.manager, 1050)  # the next threshold, while the first is open
    assert len(orders_of(schedule)) == 1
    assert Schedule.get_by_id(schedule.id).waiting
    with pytest.raises(ScheduleError, match="still open"):
        generate_now(schedule, site.manager)
    assert run_pass() == 0  # still open: nothing
    finish(first, site.manager, how)
    assert run_pass() == 1  # no new reading needed
    second = orders_of(schedule)[-1]
    assert Occurrence.get(Occurrence.work_order == second.id).key == "m:1000"
    today = local_date(utcnow(), "Europe/London")
    assert second.due_at == due_at(
        Schedule.get_by_id(schedule.id).rule(), today + dt.timedelta(days=2)
    )
    after = Schedule.get_by_id(schedule.id)
    assert (after.waiting, after.next_meter_at, after.last_order_id) == (False, 1500, second.id)
    assert run_pass() == 0 and len(orders_of(schedule)) == 2


def test_one_open_order_with_no_threshold_reached_meanwhile_waits_for_a_reading(
    site,  # noqa: F811
    meter,
):
    schedule = make_schedule(site, trigger="meter", meter=meter, meter_interval=500, one_open=True)
    meter.add_reading(site.manager, 600)
    (first,) = orders_of(schedule)
    finish(first, site.manager)
    assert run_pass() == 0
    meter.add_reading(site.manager, 1001)
    assert len(orders_of(schedule)) == 2


def either(site, meter, **kw):  # noqa: F811
    today = local_date(utcnow(), "Europe/London")
    return make_schedule(
        site,
        trigger="either",
        meter=meter,
        meter_interval=500,
        unit="month",
        interval=3,
        start_date=today + dt.timedelta(days=10),
        lead_days=0,
        **kw,
    )


def test_either_meter_first_past_two_thresholds_then_both_counters_restart(
    site,  # noqa: F811
    meter,
):
    schedule = either(site, meter)
    calendar_due = Schedule.get_by_id(schedule.id).next_due_at
    assert calendar_due is not None and Schedule.get_by_id(schedule.id).next_meter_at == 500
    meter.add_reading(site.manager, 1180)  # past 500 and 1000 before the calendar's date
    (order,) = orders_of(schedule)
    assert Occurrence.get().key == "m:1000" and "1 earlier threshold" in order.description
    waiting = Schedule.get_by_id(schedule.id)
    assert waiting.waiting and waiting.next_due_at is None and waiting.next_meter_at is None
    meter.add_reading(site.manager, 1600)  # while the order is open: nothing more
    assert run_pass(calendar_due + dt.timedelta(days=1)) == 0
    assert len(orders_of(schedule)) == 1
    finish(order, site.manager)
    run_pass()
    after = Schedule.get_by_id(schedule.id)
    today = local_date(utcnow(), "Europe/London")
    assert after.next_meter_at == 1600 + 500  # from the meter's value at completion
    assert after.next_due_at == due_at(after.rule(), add_months(today, 3))  # from completion
    assert not after.waiting


def test_either_calendar_first_restarts_the_meter_count_too(site, meter):  # noqa: F811
    schedule = either(site, meter)
    due = Schedule.get_by_id(schedule.id).next_due_at
    assert run_pass(due + dt.timedelta(minutes=5)) == 1  # the calendar came first
    (order,) = orders_of(schedule)
    assert Occurrence.get().key == local_date(due, "Europe/London").isoformat()
    meter.add_reading(site.manager, 700)  # past the old 500 threshold, order still open
    assert len(orders_of(schedule)) == 1
    finish(order, site.manager)
    run_pass()
    after = Schedule.get_by_id(schedule.id)
    assert after.next_meter_at == 1200 and after.next_due_at is not None
    meter.add_reading(site.manager, 1250)
    assert len(orders_of(schedule)) == 2
    assert Occurrence.select().order_by(Occurrence.id.desc()).get().key == "m:1200"
