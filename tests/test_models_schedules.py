"""Generation: exactly once, template inheritance, missed occurrences, pause, edit, archive,
floating, one open order, groups and meters; and two workers racing."""

import datetime as dt
import threading

import pytest

from models import ChecklistItem, Meter, Occurrence, Procedure, Schedule, WorkOrder, db
from models.generation import (
    generate_for,
    generate_now,
    refresh_waiting,
    run_pass,
    schedule_query,
)
from models.recurrence import due_at
from models.schedule import ScheduleError
from models.schedule_commands import create_schedule, set_paused, update_schedule

NOW = dt.datetime(2025, 6, 2, 6, 0)  # a Monday, 07:00 in London


@pytest.fixture
def site(make_location, make_client, make_project, make_asset, make_user):
    location = make_location(timezone="Europe/London")
    project = make_project(client=make_client(location=location))
    asset = make_asset(project=project, category="Extinguisher")
    manager = make_user("manager", organisation=project.organisation_id)
    tech = make_user("technician", projects=[project])
    return type("Site", (), dict(project=project, asset=asset, manager=manager, tech=tech))


def make_schedule(site, **kw):
    data = dict(
        project=site.project,
        asset=site.asset,
        title="Filter change",
        trigger="calendar",
        unit="month",
        interval=1,
        start_date=dt.date(2025, 1, 15),
    )
    data.update(kw)
    assignees = data.pop("assignees", ())
    return create_schedule(site.manager, assignees, **data)


def at(schedule, when):
    """Put a schedule's next occurrence at a local date (simulating time gone by)."""
    schedule = Schedule.get_by_id(schedule.id)
    due = due_at(schedule.rule(), when)
    lead = dt.timedelta(days=schedule.lead_days)
    Schedule.update(next_due_at=due, generate_at=due - lead).where(
        Schedule.id == schedule.id
    ).execute()
    return due


def orders_of(schedule):
    return list(
        WorkOrder.select()
        .join(Occurrence, on=(Occurrence.work_order == WorkOrder.id))
        .where(Occurrence.schedule == schedule.id)
        .order_by(WorkOrder.due_at)
    )


def test_generated_orders_carry_what_the_schedule_sets(site):
    procedure = Procedure.create_with_items(
        site.manager, "Filter service", "", [{"kind": "checkbox", "label": "Swap filter"}]
    )
    schedule = make_schedule(
        site,
        procedure=procedure,
        priority="high",
        estimated_hours=1.5,
        requires_signature=True,
        assignees=[site.tech],
    )
    at(schedule, dt.date(2025, 6, 15))
    assert run_pass(NOW) == 0  # not inside its lead time yet
    Schedule.update(lead_days=14).where(Schedule.id == schedule.id).execute()
    at(schedule, dt.date(2025, 6, 15))
    assert run_pass(NOW) == 1
    (order,) = orders_of(schedule)
    assert (order.type, order.priority, order.requires_signature) == ("preventive", "high", True)
    assert float(order.estimated_hours) == 1.5 and order.asset_id == site.asset.id
    assert order.due_at == dt.datetime(2025, 6, 15, 7, 0)  # 08:00 BST
    assert order.assignee_ids() == [site.tech.id]
    assert [i.label for i in ChecklistItem.for_order(order)] == ["Swap filter"]
    after = Schedule.get_by_id(schedule.id)
    assert after.next_due_at == dt.datetime(2025, 7, 15, 7, 0)


def test_a_pass_run_twice_creates_nothing_the_second_time(site):
    schedule = make_schedule(site, lead_days=3)
    at(schedule, dt.date(2025, 6, 3))
    assert run_pass(NOW) == 1
    at(schedule, dt.date(2025, 6, 3))  # as if the schedule had not moved on
    assert run_pass(NOW) == 0
    assert Occurrence.select().count() == 1 and WorkOrder.select().count() == 1


@pytest.mark.parametrize("policy, expected", [("all", 8), ("latest", 1)])
def test_after_a_week_down_missed_occurrences_follow_the_policy(site, policy, expected):
    schedule = make_schedule(site, unit="day", missed_policy=policy)
    at(schedule, dt.date(2025, 5, 26))  # the worker last ran a week ago
    assert run_pass(NOW + dt.timedelta(hours=2)) == expected  # 09:00: today's is due too
    orders = orders_of(schedule)
    assert orders[-1].due_at == dt.datetime(2025, 6, 2, 7, 0)
    if policy == "latest":
        assert "7 missed" in orders[0].description
        assert Occurrence.get().late  # marked late: the ones before it were missed
    else:
        assert Occurrence.select().where(Occurrence.late).count() == 7


def test_pause_stops_generation_and_resume_starts_from_now(site):
    schedule = make_schedule(site, unit="day")
    set_paused(schedule, site.manager, True)
    Schedule.update(next_due_at=NOW, generate_at=NOW).where(Schedule.id == schedule.id).execute()
    assert run_pass(NOW + dt.timedelta(days=3)) == 0
    set_paused(schedule, site.manager, False)
    assert Schedule.get_by_id(schedule.id).next_due_at > NOW


def test_archive_keeps_orders_and_stops_generation(site):
    schedule = make_schedule(site, unit="day")
    at(schedule, dt.date(2025, 6, 2))
    run_pass(NOW + dt.timedelta(hours=2))
    schedule.archive(site.manager)
    at(schedule, dt.date(2025, 6, 3))
    assert run_pass(NOW + dt.timedelta(days=2)) == 0
    assert len(orders_of(schedule)) == 1 and WorkOrder.select().count() == 1


def test_edit_changes_future_occurrences_only(site):
    schedule = make_schedule(site, unit="day")
    at(schedule, dt.date(2025, 6, 2))
    run_pass(NOW + dt.timedelta(hours=2))
    data = {
        f: getattr(schedule, f)
        for f in ("project", "asset", "trigger", "unit", "interval", "start_date")
    }
    update_schedule(
        Schedule.get_by_id(schedule.id), site.manager, [], now=NOW, **data, title="New title"
    )
    at(schedule, dt.date(2025, 6, 3))
    run_pass(NOW + dt.timedelta(days=1, hours=2))
    titles = [o.title for o in orders_of(schedule)]
    assert titles == ["Filter change", "New title"]


def test_group_schedules_pick_up_assets_added_later(site, make_asset):
    schedule = make_schedule(site, asset=None, category="Extinguisher", unit="year")
    at(schedule, dt.date(2025, 6, 2))
    assert run_pass(NOW + dt.timedelta(hours=2)) == 1
    make_asset(project=site.project, category="Extinguisher")
    make_asset(project=site.project, category="Boiler")
    at(schedule, dt.date(2026, 6, 2))
    assert run_pass(dt.datetime(2026, 6, 2, 9, 0)) == 2  # both extinguishers, not the boiler


def test_floating_counts_from_completion_and_waits_meanwhile(site):
    schedule = make_schedule(site, unit="month", mode="floating")
    at(schedule, dt.date(2025, 6, 2))
    assert run_pass(NOW + dt.timedelta(hours=2)) == 1
    assert run_pass(NOW + dt.timedelta(days=60)) == 0  # waiting for the order to be done
    (order,) = orders_of(schedule)
    WorkOrder.update(status="completed", completed_at=dt.datetime(2025, 6, 20, 10)).where(
        WorkOrder.id == order.id
    ).execute()
    assert refresh_waiting() == []  # resumed; a floating one creates at its next due
    assert Schedule.get_by_id(schedule.id).next_due_at == dt.datetime(2025, 7, 20, 7, 0)


def test_one_open_order_per_asset(site):
    schedule = make_schedule(site, unit="day", one_open=True)
    at(schedule, dt.date(2025, 6, 2))
    assert run_pass(NOW + dt.timedelta(hours=2)) == 1
    assert run_pass(NOW + dt.timedelta(days=3)) == 0
    WorkOrder.update(status="cancelled").execute()
    refresh_waiting()
    assert run_pass(NOW + dt.timedelta(days=3)) == 1


def test_one_open_order_with_every_missed_occurrence_creates_them_one_at_a_time(site):
    schedule = make_schedule(site, unit="day", one_open=True, missed_policy="all")
    at(schedule, dt.date(2025, 5, 30))
    assert run_pass(NOW + dt.timedelta(hours=2)) == 1
    for expected in (dt.date(2025, 5, 31), dt.date(2025, 6, 1), dt.date(2025, 6, 2)):
        WorkOrder.update(status="completed", completed_at=NOW).execute()
        assert run_pass(NOW + dt.timedelta(hours=2)) == 1
        assert Occurrence.select().order_by(Occurrence.id.desc()).get().key == str(expected)
    WorkOrder.update(status="completed", completed_at=NOW).execute()
    assert run_pass(NOW + dt.timedelta(hours=2)) == 0  # 3 June is not due yet


@pytest.mark.parametrize("kind", [{"mode": "floating"}, {"one_open": True}])
def test_a_worker_that_read_the_schedule_before_another_moved_it_changes_nothing(site, kind):
    schedule = make_schedule(site, unit="week", **kind)
    at(schedule, dt.date(2025, 6, 2))
    stale = schedule_query().where(Schedule.id == schedule.id).get()
    fresh = schedule_query().where(Schedule.id == schedule.id).get()
    assert len(generate_for(fresh, NOW + dt.timedelta(hours=2))) == 1
    assert generate_for(stale, NOW + dt.timedelta(hours=2)) == []  # lost the race
    after = Schedule.get_by_id(schedule.id)
    assert after.waiting and after.generate_at is None
    assert after.last_order_id == WorkOrder.get().id
    assert run_pass(NOW + dt.timedelta(days=30)) == 0  # waits for the open order


def test_meter_reading_past_two_thresholds_makes_one_order(site):
    meter = Meter.create_for(site.manager, site.asset, name="Runtime", unit="h")
    meter.add_reading(site.manager, 100, read_at=dt.datetime(2025, 1, 1))
    schedule = make_schedule(site, trigger="meter", meter=meter, meter_interval=500)
    assert Schedule.get_by_id(schedule.id).next_meter_at == 500
    meter.add_reading(site.manager, 1100)
    meter.add_reading(site.manager, 1200)
    (order,) = orders_of(schedule)
    assert "1 earlier threshold" in order.description
    assert Schedule.get_by_id(schedule.id).next_meter_at == 1500
    assert Occurrence.get().key == "m:1000"


def test_generate_now_and_its_second_tap(site):
    schedule = make_schedule(site, unit="year", one_open=True)
    assert len(generate_now(schedule, site.manager)) == 1
    with pytest.raises(ScheduleError):
        generate_now(schedule, site.manager)


def test_bad_schedules_are_refused(site, make_asset):
    with pytest.raises(ScheduleError) as error:
        make_schedule(site, interval=0)
    assert error.value.field == "interval"
    with pytest.raises(ScheduleError) as error:
        make_schedule(site, end_date=dt.date(2024, 1, 1))
    assert error.value.field == "end_date"
    other = Meter.create_for(site.manager, make_asset(project=site.project), name="X", unit="h")
    with pytest.raises(ScheduleError) as error:
        make_schedule(site, trigger="meter", meter=other, meter_interval=10)
    assert error.value.field == "meter"
    assert Schedule.select().count() == 0


def test_two_workers_racing_make_one_order_per_occurrence(site, make_asset):
    for _ in range(4):
        make_asset(project=site.project, category="Extinguisher")
    schedule = make_schedule(site, asset=None, category="Extinguisher", unit="day")
    at(schedule, dt.date(2025, 5, 30))
    Schedule.update(missed_policy="all").execute()
    if not db.is_closed():
        db.close()
    barrier, results, errors = threading.Barrier(2), [], []

    def worker():
        try:
            with db.connection_context():  # each thread has its own connection
                barrier.wait(timeout=10)
                results.append(run_pass(NOW + dt.timedelta(hours=2)))
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(results) == 5 * 4  # 5 assets x 4 days (30 May to 2 June), once
    assert Occurrence.select().count() == 20 and WorkOrder.select().count() == 20
    numbers = [o.number for o in WorkOrder.select(WorkOrder.number)]
    assert len(set(numbers)) == 20
