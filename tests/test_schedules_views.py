"""Schedule pages: who may see and change them, errors at the field, generate and pause."""

import datetime as dt
import re

import pytest
from test_work_orders_dispatch import counting_queries

from models import Meter, Occurrence, Schedule, WorkOrder
from models.schedule_commands import create_schedule


@pytest.fixture
def site(make_location, make_client, make_project, make_asset, make_user):
    location = make_location(timezone="Europe/London")
    project = make_project(client=make_client(location=location))
    asset = make_asset(project=project, category="AHU")
    org = project.organisation_id
    return type(
        "Site",
        (),
        dict(
            project=project,
            asset=asset,
            manager=make_user("manager", organisation=org),
            tech=make_user("technician", projects=[project]),
            client_user=make_user("client", client=project.client),
            outsider=make_user("technician", organisation=org),
        ),
    )


def form(site, **kw):
    data = {
        "title": "Monthly filter change",
        "project_id": site.project.id,
        "asset_tag": site.asset.tag,
        "trigger": "calendar",
        "interval": "1",
        "unit": "month",
        "mode": "fixed",
        "time_of_day": "08:00",
        "start_date": dt.date.today().isoformat(),
        "lead_days": "7",
        "missed_policy": "latest",
        "procedure_id": "0",
        "meter_id": "0",
        "priority": "medium",
    }
    data.update(kw)
    return data


def test_manager_creates_a_schedule_and_generation_runs_at_once(client, auth, site):
    auth.login(site.manager)
    response = client.post("/schedules/new", data=form(site, assignee_ids=[str(site.tech.id)]))
    assert response.status_code == 302, response.get_data(as_text=True)
    schedule = Schedule.get()
    assert schedule.next_due_at is not None or WorkOrder.select().count() == 1
    page = client.get(f"/schedules/{schedule.id}").get_data(as_text=True)
    assert "Monthly filter change" in page and "Next occurrences" in page
    listing = client.get("/schedules").get_data(as_text=True)
    assert "Monthly filter change" in listing


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"interval": "0"}, "interval", "Between 1 and 1,000."),
        ({"end_date": "2000-01-01"}, "end_date", "on or after the start date"),
        ({"asset_tag": "NOPE-1"}, "asset_tag", "No asset with this tag that you can see."),
    ],
)
def test_bad_input_is_refused_at_the_field(client, auth, site, change, field, message):
    auth.login(site.manager)
    response = client.post("/schedules/new", data=form(site, **change))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body and f'id="{field}-error"' in body
    assert Schedule.select().count() == 0


def test_meter_of_another_asset_is_refused(client, auth, site, make_asset):
    other = make_asset(project=site.project)
    meter = Meter.create_for(site.manager, other, name="Runtime", unit="h")
    auth.login(site.manager)
    data = form(site, trigger="meter", meter_id=str(meter.id), meter_interval="500")
    response = client.post("/schedules/new", data=data)
    assert response.status_code == 422
    assert "another asset" in response.get_data(as_text=True)
    assert Schedule.select().count() == 0


def test_an_asset_the_user_cannot_see_is_refused(client, auth, site, make_asset, make_user):
    hidden = make_asset()  # another organisation
    auth.login(site.manager)
    response = client.post("/schedules/new", data=form(site, asset_tag=hidden.tag))
    assert response.status_code == 422 and Schedule.select().count() == 0


def _schedule(site):
    return create_schedule(
        site.manager,
        [],
        project=site.project,
        asset=site.asset,
        title="Quarterly check",
        unit="month",
        interval=3,
        start_date=dt.date.today(),
    )


def test_technicians_and_clients_read_but_may_not_change(client, auth, site):
    schedule = _schedule(site)
    for user in (site.tech, site.client_user):
        auth.login(user)
        assert client.get(f"/schedules/{schedule.id}").status_code == 200
        assert "Generate now" not in client.get(f"/schedules/{schedule.id}").get_data(as_text=True)
        for action in ("generate", "pause", "archive"):
            assert client.post(f"/schedules/{schedule.id}/{action}").status_code == 403
        assert client.get(f"/schedules/{schedule.id}/edit").status_code == 403
        assert client.get("/schedules/new").status_code == 403
        auth.logout()


def test_outside_scope_answers_404(client, auth, site):
    schedule = _schedule(site)
    auth.login(site.outsider)
    assert client.get(f"/schedules/{schedule.id}").status_code == 404
    assert client.post(f"/schedules/{schedule.id}/generate").status_code == 404
    assert "Quarterly check" not in client.get("/schedules").get_data(as_text=True)


def test_limited_manager_manages_only_their_locations(client, auth, site, make_user, make_location):
    schedule = _schedule(site)
    elsewhere = make_user(
        "manager",
        organisation=site.project.organisation_id,
        locations=[make_location(organisation=site.project.organisation)],
    )
    auth.login(elsewhere)
    assert client.get(f"/schedules/{schedule.id}").status_code == 404


def test_generate_now_pause_resume_archive(client, auth, site):
    schedule = _schedule(site)
    auth.login(site.manager)
    client.post(f"/schedules/{schedule.id}/generate")
    assert Occurrence.select().count() == 1
    order = WorkOrder.get()
    assert order.type == "preventive" and order.title == "Quarterly check"
    client.post(f"/schedules/{schedule.id}/pause")
    assert Schedule.get_by_id(schedule.id).paused
    assert client.get("/schedules?state=paused").get_data(as_text=True).count("Quarterly") == 1
    client.post(f"/schedules/{schedule.id}/resume")
    assert not Schedule.get_by_id(schedule.id).paused
    client.post(f"/schedules/{schedule.id}/archive")
    assert Schedule.get_by_id(schedule.id).archived_at is not None
    assert WorkOrder.select().count() == 1  # its order stays
    page = client.get(f"/schedules/{schedule.id}").get_data(as_text=True)
    assert order.reference in page


def test_list_partial_for_htmx(client, auth, site):
    _schedule(site)
    auth.login(site.manager)
    response = client.get("/schedules?q=Quarterly", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "Quarterly check" in body


def test_the_form_offers_every_option_of_a_schedule(client, auth, site):
    auth.login(site.manager)
    page = client.get(f"/schedules/new?asset={site.asset.id}").get_data(as_text=True)
    for label in (
        "Title", "Asset tag", "Or every asset of this category in the project", "Triggered",
        "Every", "Unit", "On weekdays (weekly)", "Day of the month (monthly)", "Counting",
        "Due at (site time)", "First day", "Last day", "Meter", "Every (meter units)",
        "Lead time (days)", "After downtime", "At most one open order per asset", "Checklist",
        "Priority", "Estimated hours", "Assign to", "The client signs on completion",
    ):  # fmt: skip
        assert re.search(rf">\s*{re.escape(label)}", page), label
    for choice in ("days", "weeks", "months", "years", "Fixed calendar",
                   "From the last completion", "whichever comes first",
                   "Create every missed occurrence", "Create only the latest"):  # fmt: skip
        assert choice in page, choice


def test_meter_choices_follow_the_asset_tag(client, auth, site, make_asset):
    meter = Meter.create_for(site.manager, site.asset, name="Runtime", unit="h")
    hidden = make_asset()  # another organisation
    Meter.create_for(site.manager, hidden, name="Hidden meter", unit="h")
    auth.login(site.manager)
    response = client.get(
        f"/schedules/meters?asset_tag={site.asset.tag}", headers={"HX-Request": "true"}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'id="meter_field"' in body
    assert f'value="{meter.id}"' in body and "Runtime (h)" in body
    other = client.get(f"/schedules/meters?asset_tag={hidden.tag}").get_data(as_text=True)
    assert "Hidden meter" not in other
    auth.logout()
    auth.login(site.tech)
    assert client.get(f"/schedules/meters?asset_tag={site.asset.tag}").status_code == 403


def test_a_group_of_a_category_nobody_has_is_refused_at_the_field(client, auth, site):
    auth.login(site.manager)
    response = client.post("/schedules/new", data=form(site, asset_tag="", category="ACU"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="category-error"' in body
    assert "has the category “ACU”" in body and "Its categories: AHU." in body
    assert Schedule.select().count() == 0
    ok = client.post("/schedules/new", data=form(site, asset_tag="", category="AHU"))
    assert ok.status_code == 302 and Schedule.get().category == "AHU"


def test_a_limited_manager_cannot_schedule_an_asset_outside_their_locations(
    client, auth, site, make_user, make_location, make_client, make_project
):
    theirs = make_location(organisation=site.project.organisation)
    own_project = make_project(client=make_client(location=theirs))
    limited = make_user("manager", organisation=site.project.organisation_id, locations=[theirs])
    auth.login(limited)
    response = client.post("/schedules/new", data=form(site, project_id=str(own_project.id)))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="asset_tag-error"' in body
    assert "No asset with this tag that you can see." in body
    assert Schedule.select().count() == 0


def test_weekdays_are_tick_boxes_and_saved(client, auth, site):
    auth.login(site.manager)
    page = client.get("/schedules/new").get_data(as_text=True)
    assert page.count('type="checkbox" value=') >= 7 and 'name="weekdays"' in page
    data = form(site, unit="week", weekdays=["0", "3"])
    assert client.post("/schedules/new", data=data).status_code == 302
    assert Schedule.get().weekdays == "0,3"
    page = client.get(f"/schedules/{Schedule.get().id}/edit").get_data(as_text=True)
    assert re.search(r'<input checked id="weekdays-0"[^>]*type="checkbox" value="0"', page)


def test_the_schedule_page_costs_the_same_queries_whatever_the_team_size(
    client, auth, site, make_user
):
    schedule = _schedule(site)
    auth.login(site.manager)

    def queries():
        with counting_queries() as seen:
            assert client.get(f"/schedules/{schedule.id}").status_code == 200
        return len(seen)

    small = queries()
    for n in range(5):
        make_user("technician", projects=[site.project], name=f"Extra {n}")
    assert queries() == small
