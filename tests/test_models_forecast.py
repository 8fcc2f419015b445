"""The forecast rows follow their schedules: built on save, dropped on pause and archive,
trimmed by generation, one date while a schedule waits, extended as days pass; and the
calendar's read of them is capped per day, visible only to who sees the schedule."""

import datetime as dt

import pytest

from models import ForecastOccurrence, Meter, Schedule, WorkOrder, utcnow
from models.forecast import extend_forecast, forecast_by_day, rebuild_forecast
from models.generation import run_pass
from models.recurrence import add_months, local_date
from models.schedule_commands import create_schedule, set_paused, update_schedule

F = ForecastOccurrence


@pytest.fixture
def site(make_location, make_client, make_project, make_asset, make_user):
    location = make_location(timezone="Europe/London")
    project = make_project(client=make_client(location=location))
    other = make_project(client=make_client(location=location))
    org = project.organisation_id
    tech = make_user("technician", projects=[project])
    return type(
        "Site",
        (),
        dict(
            project=project,
            other=other,
            asset=make_asset(project=project, category="Extinguisher"),
            other_asset=make_asset(project=other),
            manager=make_user("manager", organisation=org),
            tech=tech,
            mate=make_user("technician", projects=[project]),
            client_user=make_user("client", client=project.client),
        ),
    )


TODAY = utcnow().date()


def schedule(site, **kw):
    data = dict(
        project=site.project,
        asset=site.asset,
        title="Weekly check",
        unit="week",
        interval=1,
        start_date=TODAY + dt.timedelta(days=3),
        lead_days=0,
    )
    data.update(kw)
    assignees = data.pop("assignees", ())
    return create_schedule(site.manager, assignees, **data)


def dues(made):
    return [
        d for (d,) in F.select(F.due_at).where(F.schedule == made.id).order_by(F.due_at).tuples()
    ]


def test_a_new_schedule_plans_its_dates_for_13_months(site):
    made = schedule(site)
    found = dues(made)
    assert found[0] == Schedule.get_by_id(made.id).next_due_at
    week = {dt.timedelta(days=7) + dt.timedelta(hours=h) for h in (-1, 0, 1)}  # DST: 1 h off
    assert all(b - a in week for a, b in zip(found, found[1:], strict=False))
    horizon = add_months(TODAY, 13)
    assert local_date(found[-1], "Europe/London") <= horizon
    assert horizon - local_date(found[-1], "Europe/London") < dt.timedelta(days=7)


def test_pause_archive_and_edit_rebuild_it(site):
    made = schedule(site)
    set_paused(made, site.manager, True)
    assert dues(made) == []
    set_paused(Schedule.get_by_id(made.id), site.manager, False)
    assert len(dues(made)) > 50
    data = {f: getattr(made, f) for f in ("project", "asset", "trigger", "interval", "start_date")}
    update_schedule(Schedule.get_by_id(made.id), site.manager, [], **data, unit="month")
    assert 12 <= len(dues(made)) <= 14
    Schedule.get_by_id(made.id).archive(site.manager)
    assert dues(made) == []


def test_generation_drops_the_dates_it_has_turned_into_orders(site):
    made = schedule(site)
    first, second, *rest = dues(made)
    assert run_pass(first + dt.timedelta(minutes=1)) == 1
    assert dues(made) == [second, *rest]
    assert run_pass(first + dt.timedelta(minutes=1)) == 0
    assert dues(made) == [second, *rest]


def test_a_floating_schedule_plans_one_date_and_none_while_its_order_is_open(site):
    made = schedule(site, mode="floating", unit="month")
    (only,) = dues(made)
    assert run_pass(only + dt.timedelta(minutes=1)) == 1
    assert dues(made) == []
    order = WorkOrder.get()
    order.transition(site.manager, "in_progress", "open")
    order.transition(site.manager, "completed", "in_progress")
    run_pass()
    (after,) = dues(made)
    assert after == Schedule.get_by_id(made.id).next_due_at
    assert local_date(after, "Europe/London") == add_months(TODAY, 1)


def test_one_open_order_waiting_plans_its_next_date_only(site):
    made = schedule(site, unit="day", one_open=True)
    first = dues(made)[0]
    run_pass(first + dt.timedelta(days=1, minutes=1))  # one order; the next waits
    waiting = Schedule.get_by_id(made.id)
    assert waiting.waiting and dues(made) == [waiting.next_due_at]


def test_meter_schedules_plan_no_dates_and_either_drops_its_date_when_the_meter_wins(site):
    meter = Meter.create_for(site.manager, site.asset, name="Runtime", unit="h")
    meter.add_reading(site.manager, 10, read_at=utcnow() - dt.timedelta(days=1))
    by_meter = schedule(site, trigger="meter", meter=meter, meter_interval=100)
    assert dues(by_meter) == []
    either = schedule(site, trigger="either", meter=meter, meter_interval=500, unit="month")
    assert len(dues(either)) == 1  # "whichever comes first" floats: one date
    meter.add_reading(site.manager, 600)
    assert dues(either) == []  # the meter came first: the date waits for that order


def test_a_group_plans_one_row_per_date_with_its_asset_count(site, make_asset):
    made = schedule(site, asset=None, category="Extinguisher", unit="month")
    rows = list(F.select().where(F.schedule == made.id))
    assert rows and {(r.asset_id, r.assets) for r in rows} == {(None, 1)}
    make_asset(project=site.project, category="Extinguisher")
    extend_forecast()
    assert {r.assets for r in F.select().where(F.schedule == made.id)} == {2}


def test_extend_adds_the_days_that_enter_the_horizon_and_builds_missing_ones(site):
    made = schedule(site)
    other = schedule(site, title="Monthly", unit="month")
    F.delete().where(F.schedule == other.id).execute()  # as after the upgrade
    last = dues(made)[-1]
    later = utcnow() + dt.timedelta(days=40)
    added = extend_forecast(later)
    assert dues(made)[-1] > last + dt.timedelta(days=34)
    assert len(dues(other)) >= 13 and added >= 5 + 13
    assert extend_forecast(later) == 0  # nothing left to add
    rows = len(dues(made))
    rebuild_forecast([made.id])
    assert len(dues(made)) <= rows  # the same dates, from now


def bounds_of(first_day, days):
    start = dt.datetime.combine(first_day, dt.time())
    return [start + dt.timedelta(days=i) for i in range(days + 1)]


def test_the_calendar_read_is_per_day_capped_and_filtered(site):
    [
        schedule(site, title=f"Daily {n}", unit="day", start_date=TODAY + dt.timedelta(days=1),
                 assignees=[site.tech] if n == 0 else [])
        for n in range(5)
    ]  # fmt: skip
    schedule(site, project=site.other, asset=site.other_asset, title="Elsewhere", unit="day",
             start_date=TODAY + dt.timedelta(days=1))  # fmt: skip
    bounds = bounds_of(TODAY + dt.timedelta(days=2), 3)
    found = forecast_by_day(site.manager, bounds, {}, shown=2, cap=4)
    assert [total for _, total in found] == [4, 4, 4]  # six a day, counted up to 4
    entries = found[0][0]
    assert [e.title for e in entries] == ["Daily 0", "Daily 1"] and entries[0].asset_tag
    assert entries[0].assignees == [site.tech.name]
    only = forecast_by_day(site.manager, bounds, {"project": site.other.id})
    assert [[e.title for e in es] for es, _ in only] == [["Elsewhere"]] * 3
    mine = forecast_by_day(site.tech, bounds, {"technician": site.tech.id})
    assert [total for _, total in mine] == [1, 1, 1] and mine[0][0][0].title == "Daily 0"
    everyone = forecast_by_day(site.tech, bounds, {})  # a member of the first project only
    assert [total for _, total in everyone] == [5, 5, 5]
    assert {e.title for e in forecast_by_day(site.client_user, bounds, {})[0][0]} >= {"Daily 0"}


def test_nothing_beyond_twelve_months_and_nothing_for_outsiders(site, make_user):
    schedule(site, unit="day", start_date=TODAY + dt.timedelta(days=1))
    far = bounds_of(add_months(TODAY, 12) + dt.timedelta(days=2), 7)
    assert [t for _, t in forecast_by_day(site.manager, far, {})] == [0] * 7
    near = bounds_of(TODAY + dt.timedelta(days=5), 2)
    outsider = make_user("technician", organisation=site.project.organisation_id)
    assert [t for _, t in forecast_by_day(outsider, near, {})] == [0, 0]
    stranger = make_user("admin")  # another organisation
    assert [t for _, t in forecast_by_day(stranger, near, {})] == [0, 0]
