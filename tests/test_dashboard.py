"""The home page per role: the numbers on it, and that each links to the list behind it,
which lists exactly that many rows."""

import datetime
import html
import re

import pytest

from models import Asset, WorkOrder, utcnow
from models.clock import utc_to_local


@pytest.fixture
def depot(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org()
    site = make_location(org, timezone="UTC")
    acme, other = make_client(site, name="Acme"), make_client(site, name="Other")
    project, other_project = make_project(acme), make_project(other)
    tina = make_user("technician", organisation=org, projects=[project], name="Tina Tech")
    olly = make_user("technician", organisation=org, projects=[other_project], name="Olly Other")
    manager = make_user("manager", organisation=org, name="Mia Manager", timezone="UTC")
    asset = make_asset(project, tag="AHU-1")
    make_asset(other_project, tag="PMP-1", status="down")
    now = utcnow()
    hour = datetime.timedelta(hours=1)

    def raise_order(title, proj=project, who=(), **kw):
        return WorkOrder.open_for(manager, proj, list(who), title=title, **kw)

    raise_order("Overdue leak", who=[tina], due_at=now - 5 * hour, asset=asset)
    raise_order("Overdue too", who=[tina], due_at=now - 50 * hour, estimated_hours=3)
    raise_order("Nobody's", due_at=now + 200 * hour)
    raise_order("Other client", proj=other_project, who=[olly], due_at=now - 2 * hour)
    started = raise_order("Started", who=[tina])
    started.transition(tina, "in_progress", "open")
    done = raise_order("Finished", who=[tina])
    done.transition(tina, "in_progress", "open")
    done.transition(tina, "completed", "in_progress")
    return {
        "manager": manager,
        "tina": tina,
        "acme_user": make_user("client", organisation=org, client=acme),
    }


def tiles(page):
    """{label: (number, link)} of the page's tiles."""
    found = re.findall(
        r'<a class="tile[^"]*" href="([^"]+)"><strong>([^<]+)</strong><span>([^<]+)</span>', page
    )
    return {label: (number, html.unescape(href)) for href, number, label in found}


def listed(client, href):
    page = client.get(href).get_data(as_text=True)
    total = re.search(r"of ([\d,]+)</span>", page)
    return int(total.group(1).replace(",", "")) if total else 0


def test_a_manager_sees_the_state_of_the_work_and_each_number_opens_its_list(client, auth, depot):
    auth.login(depot["manager"])
    page = client.get("/").get_data(as_text=True)
    found = tiles(page)
    assert found["Open work orders"][0] == "5"
    assert found["Overdue"][0] == "3"
    assert found["Assets down"][0] == "1"
    for label in ("Open work orders", "Overdue"):
        number, href = found[label]
        assert listed(client, href) == int(number), label
    assert "status=down" in found["Assets down"][1]
    # Workload: Tina has 3 open (2 overdue, 3 estimated hours); Olly 1.
    rows = re.findall(
        r'<tr><td><a href="([^"]+)">([^<]+)</a></td><td class="num"><a[^>]*>(\d+)', page
    )
    assert [(name, n) for _, name, n in rows] == [("Tina Tech", "3"), ("Olly Other", "1")]
    assert listed(client, html.unescape(rows[0][0])) == 3
    assert "PM compliance, last 30 days" in page


def test_due_this_week_counts_the_local_week(client, auth, depot):
    auth.login(depot["manager"])
    number, href = tiles(client.get("/").get_data(as_text=True))["Due this week"]
    today = utc_to_local(utcnow(), "UTC").date()
    monday = today - datetime.timedelta(days=today.weekday())
    assert f"due_from={monday}" in href
    assert listed(client, href) == int(number)


def test_a_technician_sees_their_own_day(client, auth, depot):
    auth.login(depot["tina"])
    page = client.get("/").get_data(as_text=True)
    found = tiles(page)
    assert found["Overdue, assigned to you"][0] == "2"
    assert found["In progress"][0] == "1"
    assert found["Completed today"][0] == "1"
    assert listed(client, found["Overdue, assigned to you"][1]) == 2
    today = page[page.index("To do today") :]
    assert "Overdue leak" in today and "Overdue too" in today
    assert "Other client" not in page and "Nobody's" not in today


def test_a_client_user_sees_its_own_figures(client, auth, depot):
    auth.login(depot["acme_user"])
    page = client.get("/").get_data(as_text=True)
    found = tiles(page)
    assert found["Open work orders"][0] == "4"  # not the other client's
    assert found["Overdue"][0] == "2"
    assert found["Assets down"][0] == "0"
    assert "Mean time to repair" in page and "Planned maintenance on time" in page
    assert "/reports/period?client=" in found["Mean time to repair"][1]
    assert client.get(found["Mean time to repair"][1]).status_code == 200
    assert "Open work per technician" not in page


def test_the_dashboard_costs_the_same_queries_with_more_work(client, auth, depot):
    from test_assets_list import counting_queries

    auth.login(depot["manager"])
    client.get("/")
    with counting_queries() as before:
        client.get("/")
    project = Asset.get(Asset.tag == "AHU-1").project
    for n in range(20):
        WorkOrder.open_for(depot["manager"], project, [depot["tina"]], title=f"More {n}")
    with counting_queries() as after:
        client.get("/")
    assert len(after) == len(before) <= 16


def test_the_workload_is_counted_at_most_once_a_minute(app, depot):
    from models.dashboard import workload

    manager, now = depot["manager"], utcnow()
    loads, counted = workload(manager, now)
    assert [(load.name, load.open) for load in loads][0] == ("Tina Tech", 3)
    project = Asset.get(Asset.tag == "AHU-1").project
    WorkOrder.open_for(manager, project, [depot["tina"]], title="One more")
    assert workload(manager, now + datetime.timedelta(seconds=30)) == (loads, counted)
    later, _ = workload(manager, now + datetime.timedelta(seconds=61))
    assert later[0].open == 4
