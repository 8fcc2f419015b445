"""The calendar: days in the viewer's time zone (DST included), filters, who sees what,
crowded days, and a constant number of queries however many orders there are. (The
forecast: test_calendar_forecast.py.)"""

import datetime
import re

import pytest
from playhouse.test_utils import count_queries

from models import Assignment, WorkOrder

HX = {"HX-Request": "true"}


@pytest.fixture
def site(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org()
    ams = make_location(org, name="Amsterdam", timezone="Europe/Amsterdam")
    acme = make_client(ams, name="Acme Foods")
    other = make_client(ams, name="Bolt Metals")
    project = make_project(acme, code="ACME-1", name="Acme HVAC")
    second = make_project(acme, code="ACME-2", name="Acme Lifts")
    bolt = make_project(other, code="BOLT-1", name="Bolt Press")
    tech = make_user("technician", organisation=org, projects=[project, second], name="Tom Tech")
    mate = make_user("technician", organisation=org, projects=[project], name="Mo Mate")
    return {
        "org": org,
        "project": project,
        "second": second,
        "bolt": bolt,
        "asset": make_asset(project, tag="AHU-01"),
        "manager": make_user("manager", organisation=org, name="Mia", timezone="Europe/Amsterdam"),
        "tech": tech,
        "mate": mate,
        "client_user": make_user("client", organisation=org, client=acme, name="Carl"),
        "other_client_user": make_user("client", organisation=org, client=other, name="Bea"),
    }


_numbers = iter(range(1, 10**6))


def make_order(project, title, due_at, assignees=(), status="open", hours=None, asset=None):
    order = WorkOrder.create(
        organisation=project.organisation_id,
        location=project.client.location_id,
        client=project.client_id,
        project=project.id,
        number=next(_numbers),
        title=title,
        due_at=due_at,
        status=status,
        estimated_hours=hours,
        asset=asset,
    )
    for user in assignees:
        Assignment.create(organisation=project.organisation_id, work_order=order, user=user)
    return order


def day_cell(body, label):
    """The HTML of one day's cell, by its aria-label ("Monday 30 March")."""
    match = re.search(rf'<section role="cell"[^>]*aria-label="{label}">(.*?)</section>', body, re.S)
    assert match, f"no day {label}"
    return match.group(1)


def test_late_evening_utc_is_the_next_day_in_amsterdam(client, auth, site):
    make_order(site["project"], "Late filter swap", datetime.datetime(2027, 3, 9, 23, 30))
    auth.login(site["manager"])
    body = client.get("/calendar?date=2027-03-01").get_data(as_text=True)
    assert "March 2027" in body
    assert "Late filter swap" in day_cell(body, "Wednesday 10 March")
    assert "Late filter swap" not in day_cell(body, "Tuesday 09 March")


def test_a_utc_viewer_sees_it_on_the_utc_day(client, auth, site):
    make_order(site["project"], "Late filter swap", datetime.datetime(2027, 3, 9, 23, 30))
    auth.login(site["tech"])  # no time zone set: UTC
    body = client.get("/calendar?date=2027-03-01&technician=all").get_data(as_text=True)
    assert "Late filter swap" in day_cell(body, "Tuesday 09 March")


def test_week_across_the_spring_dst_change(client, auth, site):
    # Amsterdam moves to summer time on Sunday 28 March 2027 at 02:00 (01:00 UTC).
    make_order(site["project"], "Sunday early", datetime.datetime(2027, 3, 27, 23, 30))  # 00:30 CET
    make_order(site["project"], "Sunday late", datetime.datetime(2027, 3, 28, 21, 59))  # 23:59 CEST
    make_order(site["project"], "Monday first", datetime.datetime(2027, 3, 28, 22, 0))  # 00:00 CEST
    auth.login(site["manager"])
    body = client.get("/calendar?view=week&date=2027-03-24").get_data(as_text=True)
    assert "Week 12, 22 Mar – 28 Mar 2027" in body
    sunday = day_cell(body, "Sunday 28 March")
    assert "Sunday early" in sunday and "Sunday late" in sunday and "00:30" in sunday
    assert "23:59" in sunday
    assert "Monday first" not in body  # next week
    after = client.get("/calendar?view=week&date=2027-03-29").get_data(as_text=True)
    assert "Monday first" in day_cell(after, "Monday 29 March")


def test_month_grid_runs_monday_to_sunday_with_the_neighbouring_days(client, auth, site):
    make_order(site["project"], "Before", datetime.datetime(2027, 4, 25, 10))
    make_order(site["project"], "First cell", datetime.datetime(2027, 4, 26, 10))
    make_order(site["project"], "Last cell", datetime.datetime(2027, 6, 6, 10))
    make_order(site["project"], "After", datetime.datetime(2027, 6, 7, 10))
    auth.login(site["manager"])
    body = client.get("/calendar?date=2027-05-15").get_data(as_text=True)
    assert body.count('role="cell"') == 42  # Mon 26 Apr .. Sun 6 Jun
    assert "First cell" in body and "Last cell" in body
    assert "Before" not in body and "After" not in body
    assert 'class="cal-day out' in day_cell_tag(body, "Monday 26 April")
    march = client.get("/calendar?date=2027-03-15").get_data(as_text=True)
    assert march.count('role="cell"') == 35  # 1 March 2027 is a Monday


def day_cell_tag(body, label):
    return re.search(rf'<section role="cell"[^>]*aria-label="{label}">', body).group(0)


def test_navigation_links_keep_the_filters(client, auth, site):
    auth.login(site["manager"])
    project = site["project"].id
    body = client.get(f"/calendar?date=2027-01-10&project={project}").get_data(as_text=True)
    assert "January 2027" in body
    assert f'href="/calendar?date=2026-12-01&amp;project={project}" rel="prev"' in body
    assert f'href="/calendar?date=2027-02-01&amp;project={project}" rel="next"' in body
    week = client.get(f"/calendar?view=week&date=2027-01-06&project={project}")
    assert "date=2027-01-11" in week.get_data(as_text=True)  # next Monday


def test_bad_dates_fall_back_to_today_without_an_error(client, auth, site):
    auth.login(site["manager"])
    for raw in ("2027-13-01", "junk", "9999-12-31", "0001-01-01"):
        response = client.get(f"/calendar?date={raw}")
        assert response.status_code == 200
        assert "That date could not be read" in response.get_data(as_text=True)


def test_htmx_gets_only_the_calendar_block(client, auth, site):
    auth.login(site["manager"])
    response = client.get("/calendar?date=2027-02-01", headers=HX)
    body = response.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="calendar"')
    assert "February 2027" in body
    assert "HX-Request" in response.headers["Vary"]


def test_crowded_day_shows_four_and_links_to_the_rest(client, auth, site):
    due = datetime.datetime(2027, 5, 12, 8)
    for i in range(7):
        make_order(site["project"], f"Job {i}", due + datetime.timedelta(minutes=i))
    auth.login(site["manager"])
    body = client.get("/calendar?date=2027-05-01").get_data(as_text=True)
    cell = day_cell(body, "Wednesday 12 May")
    assert cell.count('class="cal-entry') == 4
    assert "Job 0" in cell and "Job 3" in cell and "Job 4" not in cell
    link = re.search(r'class="cal-more" href="([^"]+)">\+3 more', cell).group(1)
    assert "due_from=2027-05-12" in link and "due_to=2027-05-12" in link
    listing = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert all(f"Job {i}" in listing for i in range(7))
    week = client.get("/calendar?view=week&date=2027-05-12").get_data(as_text=True)
    assert day_cell(week, "Wednesday 12 May").count('class="cal-entry') == 7


def test_status_colour_and_overdue_flag(client, auth, site):
    make_order(site["project"], "Late job", datetime.datetime(2020, 1, 15, 9))
    make_order(site["project"], "Done job", datetime.datetime(2020, 1, 16, 9), status="completed")
    make_order(
        site["project"], "Dropped job", datetime.datetime(2020, 1, 17, 9), status="cancelled"
    )
    auth.login(site["manager"])
    body = client.get("/calendar?date=2020-01-01").get_data(as_text=True)
    late = day_cell(body, "Wednesday 15 January")
    assert "st-open overdue" in late and ">overdue<" in late
    done = day_cell(body, "Thursday 16 January")
    assert "st-completed" in done and "overdue" not in done
    assert "Dropped job" not in body  # cancelled work is not on the calendar


def test_filters_by_location_client_project_and_technician(client, auth, site):
    due = datetime.datetime(2027, 6, 10, 9)
    make_order(site["project"], "HVAC job", due, assignees=[site["tech"]])
    make_order(site["second"], "Lift job", due, assignees=[site["mate"]])
    make_order(site["bolt"], "Press job", due)
    auth.login(site["manager"])

    def titles(query):
        body = client.get("/calendar?date=2027-06-01&" + query).get_data(as_text=True)
        return {t for t in ("HVAC job", "Lift job", "Press job") if t in body}

    assert titles("") == {"HVAC job", "Lift job", "Press job"}
    assert titles(f"project={site['second'].id}") == {"Lift job"}
    assert titles(f"client={site['bolt'].client_id}") == {"Press job"}
    assert titles(f"location={site['project'].client.location_id}") == {
        "HVAC job", "Lift job", "Press job"}  # fmt: skip
    assert titles(f"technician={site['tech'].id}") == {"HVAC job"}
    assert titles("location=999999") == set()
    assert titles("project=abc&client=-1") == {"HVAC job", "Lift job", "Press job"}


def test_technician_defaults_to_own_work_and_can_switch_to_all(client, auth, site):
    due = datetime.datetime(2027, 6, 10, 9)
    make_order(site["project"], "Mine", due, assignees=[site["tech"]])
    make_order(site["project"], "Teammate's", due, assignees=[site["mate"]])
    make_order(site["bolt"], "Not my project", due)
    auth.login(site["tech"])
    own = client.get("/calendar?date=2027-06-01").get_data(as_text=True)
    assert "Mine" in own and "Teammate&#39;s" not in own and "Not my project" not in own
    assert "Only my work" in own
    everyone = client.get("/calendar?date=2027-06-01&technician=all").get_data(as_text=True)
    assert "Mine" in everyone and "Teammate&#39;s" in everyone
    assert "Not my project" not in everyone  # still only their projects
    assert "Workload per technician" not in everyone  # managers only


def test_client_users_see_only_their_clients_work(client, auth, site):
    due = datetime.datetime(2027, 6, 10, 9)
    make_order(site["project"], "Acme job", due)
    make_order(site["bolt"], "Bolt job", due)
    auth.login(site["client_user"])
    body = client.get("/calendar?date=2027-06-01").get_data(as_text=True)
    assert "Acme job" in body and "Bolt job" not in body
    # a filter naming another client's project shows nothing, not their work
    body = client.get(f"/calendar?date=2027-06-01&project={site['bolt'].id}").get_data(as_text=True)
    assert "Bolt job" not in body and "Acme job" not in body
    assert 'name="technician"' not in body


def test_calendar_needs_a_sign_in(client, site):
    response = client.get("/calendar")
    assert response.status_code == 302 and "/login" in response.location


def test_managers_see_weekly_workload(client, auth, site):
    monday = datetime.datetime(2027, 6, 7, 9)
    make_order(site["project"], "A", monday, assignees=[site["tech"]], hours=2.5)
    make_order(site["project"], "B", monday, assignees=[site["tech"], site["mate"]], hours=1)
    make_order(site["project"], "C", monday + datetime.timedelta(days=7), assignees=[site["tech"]])
    auth.login(site["manager"])
    body = client.get("/calendar?date=2027-06-01").get_data(as_text=True)
    load = body[body.index("Workload per technician") :]
    tom = re.search(r"<th scope=\"row\">Tom Tech</th>(.*?)</tr>", load, re.S).group(1)
    cells = re.findall(r'<td class="num"[^>]*>(.*?)</td>', tom, re.S)
    assert len(cells) == 5  # the weeks of June 2027: 31 May .. 4 July
    assert re.sub(r"<[^>]+>|\s", "", cells[1]) == "2·3.5h"
    assert re.sub(r"<[^>]+>|\s", "", cells[2]) == "1·0h"
    assert "Mo Mate" in load


def _tom_weeks(body):
    load = body[body.index("Workload per technician") :]
    found = re.search(r"<th scope=\"row\">Tom Tech</th>(.*?)</tr>", load, re.S)
    if found is None:
        return None
    cells = re.findall(r'<td class="num"[^>]*>(.*?)</td>', found.group(1), re.S)
    return [re.sub(r"<[^>]+>|\s", "", cell) for cell in cells]


def test_workload_is_the_open_work_whoever_looks_and_however_filtered(
    client, auth, site, make_user
):
    """Done and cancelled work is no longer load; an admin's count (read from the
    assignments' copies) equals a filtered view's (read through the orders), and a change
    to an order shows at once."""
    monday = datetime.datetime(2027, 6, 7, 9)
    tech = [site["tech"]]
    open_order = make_order(site["project"], "Open", monday, assignees=tech, hours=2)
    make_order(site["project"], "Started", monday, assignees=tech, status="in_progress", hours=1)
    make_order(site["project"], "Done", monday, assignees=tech, status="completed", hours=5)
    make_order(site["project"], "Dropped", monday, assignees=tech, status="cancelled", hours=7)
    admin = make_user("admin", organisation=site["org"])
    auth.login(admin)
    whole = _tom_weeks(client.get("/calendar?date=2027-06-01").get_data(as_text=True))
    assert whole[1] == "2·3h"
    project = site["project"].id
    filtered = client.get(f"/calendar?date=2027-06-01&project={project}").get_data(as_text=True)
    assert _tom_weeks(filtered) == whole
    WorkOrder.update(status="completed").where(WorkOrder.id == open_order.id).execute()
    later = _tom_weeks(client.get("/calendar?date=2027-06-01").get_data(as_text=True))
    assert later[1] == "1·1h"


def test_query_count_is_constant_as_orders_grow(client, auth, site):
    auth.login(site["manager"])

    def queries():
        with count_queries() as counter:
            assert client.get("/calendar?date=2027-06-01").status_code == 200
        return counter.count

    make_order(site["project"], "One", datetime.datetime(2027, 6, 3, 9), assignees=[site["tech"]])
    few = queries()
    for day in range(1, 29):
        for hour in range(6):
            make_order(
                site["project"] if day % 2 else site["second"],
                f"Job {day}-{hour}",
                datetime.datetime(2027, 6, day, 6 + hour),
                assignees=[site["tech"], site["mate"]][: 1 + hour % 2],
                asset=site["asset"] if hour % 3 == 0 else None,
            )
    assert queries() == few


def test_calendar_is_in_the_main_nav(client, auth, site):
    auth.login(site["client_user"])
    body = client.get("/calendar").get_data(as_text=True)
    assert re.search(r'<a href="/calendar" aria-current="page">Calendar</a>', body)
