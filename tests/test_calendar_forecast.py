"""The calendar draws schedule occurrences not generated yet (the forecast) beside the
work orders, for the people who may see them."""

import datetime as dt
import re

import pytest
from playhouse.test_utils import count_queries

from models import User
from models.schedule_commands import create_schedule


def test_a_monthly_schedule_shows_as_forecast_next_month(
    client, auth, make_location, make_client, make_project, make_asset, make_user
):
    location = make_location(timezone="UTC")
    project = make_project(client=make_client(location=location))
    asset = make_asset(project=project, tag="EXT-01")
    manager = make_user("manager", organisation=project.organisation_id)
    User.update(timezone="UTC").where(User.id == manager.id).execute()
    today = dt.date.today()
    create_schedule(
        manager,
        [],
        project=project,
        asset=asset,
        title="Extinguisher check",
        trigger="calendar",
        unit="month",
        interval=1,
        start_date=today.replace(day=1),
    )
    auth.login(manager)
    following = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    page = client.get(f"/calendar?date={following}").get_data(as_text=True)
    assert page.count("Extinguisher check") >= 1 and re.search(r"forecast", page, re.I)
    outsider = make_user("manager", organisation=make_project().organisation_id)
    auth.logout()
    auth.login(outsider)
    other = client.get(f"/calendar?date={following}").get_data(as_text=True)
    assert "Extinguisher check" not in other


@pytest.fixture
def site(make_location, make_client, make_project, make_asset, make_user):
    location = make_location(timezone="UTC")
    project = make_project(client=make_client(location=location), code="ACME-1")
    bolt = make_project(client=make_client(location=location), code="BOLT-1")
    org = project.organisation_id
    manager = make_user("manager", organisation=org)
    tech = make_user("technician", projects=[project], name="Tom Tech")
    for user in (manager, tech):
        User.update(timezone="UTC").where(User.id == user.id).execute()
    return type(
        "Site",
        (),
        dict(
            project=project,
            bolt=bolt,
            asset=make_asset(project=project, tag="AHU-01", category="AHU"),
            bolt_asset=make_asset(project=bolt, tag="PRS-01"),
            manager=manager,
            tech=tech,
        ),
    )


def daily(site, title, project=None, asset=None, assignees=(), **kw):
    start = dt.date.today() + dt.timedelta(days=1)
    return create_schedule(
        site.manager, list(assignees), project=project or site.project,
        asset=asset or site.asset, title=title, unit="day", interval=1, start_date=start,
        time_of_day=dt.time(9, 0), lead_days=0, **kw,
    )  # fmt: skip


def day_cell(body, day):
    label = day.strftime("%A %d %B")
    match = re.search(rf'<section role="cell"[^>]*aria-label="{label}">(.*?)</section>', body, re.S)
    return match.group(1)


def test_forecast_is_dashed_labelled_links_to_its_schedule_and_counts_the_rest(client, auth, site):
    made = [daily(site, f"Round {n}", assignees=[site.tech]) for n in range(5)]
    group = create_schedule(
        site.manager, [], project=site.project, asset=None, category="AHU",
        title="AHU group", unit="day", interval=1, start_date=dt.date.today(),
        time_of_day=dt.time(7, 0), lead_days=0,
    )  # fmt: skip
    day = dt.date.today() + dt.timedelta(days=3)
    auth.login(site.manager)
    body = client.get(f"/calendar?view=week&date={day}").get_data(as_text=True)
    cell = day_cell(body, day)
    assert cell.count('class="cal-entry forecast"') == 3
    assert re.search(
        r'<span class="flag">forecast</span>\s*<span class="cal-title">AHU group', cell
    )
    assert "all AHU (1)" in cell and "AHU-01" in cell and "09:00" in cell
    assert f'href="/schedules/{group.id}"' in cell and f'href="/schedules/{made[0].id}"' in cell
    assert "+3 forecast" in cell  # six that day, three shown
    assert 'title="Forecast: Round 0 · AHU-01 · Tom Tech"' in cell


def test_forecast_follows_the_filters_and_the_viewer(client, auth, site, make_user):
    daily(site, "Acme round", assignees=[site.tech])
    daily(site, "Acme unassigned")
    daily(site, "Bolt round", project=site.bolt, asset=site.bolt_asset)
    day = dt.date.today() + dt.timedelta(days=2)
    auth.login(site.manager)

    def titles(query=""):
        body = client.get(f"/calendar?view=week&date={day}&{query}").get_data(as_text=True)
        return {t for t in ("Acme round", "Acme unassigned", "Bolt round") if t in body}

    assert titles() == {"Acme round", "Acme unassigned", "Bolt round"}
    assert titles(f"project={site.bolt.id}") == {"Bolt round"}
    assert titles(f"client={site.project.client_id}") == {"Acme round", "Acme unassigned"}
    assert titles(f"technician={site.tech.id}") == {"Acme round"}
    auth.logout()
    auth.login(site.tech)
    assert titles() == {"Acme round"}  # their own assignments by default
    assert titles("technician=all") == {"Acme round", "Acme unassigned"}  # not Bolt's


def test_query_count_does_not_grow_with_schedules(client, auth, site):
    auth.login(site.manager)

    def queries():
        with count_queries() as counter:
            assert client.get("/calendar").status_code == 200
        return counter.count

    daily(site, "First", assignees=[site.tech])
    few = queries()
    for n in range(12):
        daily(site, f"Round {n}", assignees=[site.tech] if n % 2 else [])
    assert queries() == few
