"""PM compliance on the schedule and project pages: the ratio with the counts behind it, a
period chosen in the URL, the card alone for HTMX, and only for those who see the rows."""

import datetime as dt
import re

import pytest

from models import Occurrence, WorkOrder, utcnow
from models.generation import run_pass
from models.schedule_commands import create_schedule

DAYS = 41  # occurrences from 40 days ago to today, one a day


@pytest.fixture
def site(make_location, make_client, make_project, make_asset, make_user):
    location = make_location(timezone="UTC")
    project = make_project(client=make_client(location=location))
    org = project.organisation_id
    return type(
        "Site",
        (),
        dict(
            project=project,
            asset=make_asset(project=project),
            manager=make_user("manager", organisation=org),
            client_user=make_user("client", client=project.client),
            outsider=make_user("technician", organisation=org),
        ),
    )


@pytest.fixture
def worked(site):
    """A daily round due at 00:00 UTC since 40 days ago. The first 11: on time. Of the 29
    days before today: 12 on time, 6 late, 3 cancelled, 8 left open. Today's is pending."""
    today = utcnow().date()
    schedule = create_schedule(
        site.manager,
        (),
        project=site.project,
        asset=site.asset,
        title="Daily round",
        unit="day",
        interval=1,
        start_date=today - dt.timedelta(days=DAYS - 1),
        time_of_day=dt.time(0, 0),
        lead_days=0,
        missed_policy="all",
        now=utcnow() - dt.timedelta(days=DAYS),
    )
    assert run_pass() == DAYS
    orders = list(
        WorkOrder.select()
        .join(Occurrence, on=(Occurrence.work_order == WorkOrder.id))
        .order_by(WorkOrder.due_at)
    )
    old, recent = orders[: DAYS - 30], orders[DAYS - 30 : -1]
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    for n, order in enumerate(old + recent):
        if order in old or n - len(old) < 12:
            status, at = "completed", order.due_at + hour
        elif n - len(old) < 18:
            status, at = "closed", order.due_at + day + hour
        elif n - len(old) < 21:
            status, at = "cancelled", None
        else:
            continue
        WorkOrder.update(status=status, completed_at=at).where(WorkOrder.id == order.id).execute()
    return schedule


def figures(html):
    card = html[html.index('id="compliance"') :]
    counts = dict(re.findall(r"<dt>([\w ]+)</dt><dd>([\d,]+)</dd>", card))
    percent = re.search(r"<strong[^>]*>(\d+) %</strong>", card)
    return (percent and int(percent.group(1))), {k: int(v) for k, v in counts.items()}


def counts(on_time, late, missed, pending):
    return {"On time": on_time, "Late": late, "Missed": missed, "Pending": pending}


def test_schedule_page_shows_compliance_for_the_chosen_period(client, auth, site, worked):
    auth.login(site.manager)
    last_30 = client.get(f"/schedules/{worked.id}?period=30").get_data(as_text=True)
    # 29 past days: 12 on time, 6 late, 3 cancelled + 8 left open = 11 missed; today pending
    assert figures(last_30) == (41, counts(12, 6, 11, 1))
    assert "on time: 12 of 29 occurrences due in the last 30 days" in last_30
    last_90 = client.get(f"/schedules/{worked.id}").get_data(as_text=True)  # 90 by default
    assert figures(last_90) == (57, counts(23, 6, 11, 1))  # 11 more on time: 23 of 40
    assert 'aria-current="true">90 days' in last_90


def test_the_period_selector_swaps_only_the_card(client, auth, site, worked):
    auth.login(site.manager)
    response = client.get(f"/schedules/{worked.id}?period=30", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert (
        body.lstrip().startswith('<section id="compliance"') and "Work orders it made" not in body
    )
    assert "HX-Request" in response.headers["Vary"]
    nonsense = client.get(f"/schedules/{worked.id}?period=7&x=1").get_data(as_text=True)
    assert 'aria-current="true">90 days' in nonsense  # an unknown period: the default


def test_project_page_shows_compliance_and_its_least_compliant_schedules(
    client, auth, site, worked
):
    auth.login(site.manager)
    page = client.get(f"/projects/{site.project.id}?period=30").get_data(as_text=True)
    assert figures(page) == (41, counts(12, 6, 11, 1))
    assert "Least compliant schedules" in page and "Daily round" in page
    card = client.get(
        f"/projects/{site.project.id}?period=365", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "<html" not in card and figures(card)[1]["On time"] == 23


def test_a_project_without_schedules_says_nothing_was_due(client, auth, site):
    auth.login(site.manager)
    page = client.get(f"/projects/{site.project.id}").get_data(as_text=True)
    assert "Nothing was due in the last 90 days" in page and "Least compliant" not in page


def test_client_users_see_their_projects_compliance_and_outsiders_nothing(
    client, auth, site, worked
):
    auth.login(site.client_user)
    page = client.get(f"/projects/{site.project.id}?period=30").get_data(as_text=True)
    assert figures(page)[0] == 41
    auth.logout()
    auth.login(site.outsider)
    assert client.get(f"/projects/{site.project.id}").status_code == 404
    assert client.get(f"/schedules/{worked.id}?period=30").status_code == 404
    hx = client.get(f"/schedules/{worked.id}?period=30", headers={"HX-Request": "true"})
    assert hx.status_code == 404
