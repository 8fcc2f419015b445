"""Work order pages: raise, see, edit, move through the lifecycle, assign, who may do what,
and the errors at the field when input is wrong."""

import datetime
import re

import pytest

from models import Activity, Asset, Assignment, WorkOrder

HX = {"HX-Request": "true"}


@pytest.fixture
def site(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org()
    london = make_location(org, name="London", timezone="Europe/London")
    client = make_client(london, name="Acme Foods")
    project = make_project(client, code="ACME-1", name="Acme HVAC")
    other_project = make_project(client, code="ACME-2", name="Acme Lifts")
    asset = make_asset(project, tag="AHU-01", name="Air handler 1")
    lift = make_asset(other_project, tag="LIFT-01", name="Lift 1")
    manager = make_user("manager", organisation=org, name="Mia Manager")
    tech = make_user("technician", organisation=org, projects=[project], name="Tom Tech")
    outsider = make_user("technician", organisation=org, projects=[other_project], name="Olga")
    client_user = make_user("client", organisation=org, client=client, name="Carl Client")
    return {
        "org": org,
        "project": project,
        "other_project": other_project,
        "asset": asset,
        "lift": lift,
        "manager": manager,
        "tech": tech,
        "outsider": outsider,
        "client_user": client_user,
        "client": client,
    }


def order_form(site, **changes):
    data = {
        "title": "Belt squealing",
        "project_id": site["project"].id,
        "asset_tag": "AHU-01",
        "type": "corrective",
        "priority": "high",
        "due_at": "2027-07-01T09:30",
        "estimated_hours": "2.5",
        "assignee_ids": [site["tech"].id],
        "description": "Noise from the fan section.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_new_form_from_an_asset_is_prefilled(client, auth, site):
    auth.login(site["manager"])
    body = client.get(f"/work-orders/new?asset={site['asset'].id}").get_data(as_text=True)
    assert 'value="AHU-01"' in body
    assert re.search(rf'<option selected value="{site["project"].id}"', body)
    assert "Tom Tech" in body and "Olga" not in body  # only the project's team


def test_raise_an_order_converts_local_due_time_and_assigns(client, auth, site):
    auth.login(site["manager"])
    response = client.post("/work-orders/new", data=order_form(site))
    assert response.status_code == 302
    order = WorkOrder.get()
    assert response.location.endswith(f"/work-orders/{order.id}")
    assert order.reference == "WO-000001" and order.asset_id == site["asset"].id
    # 09:30 in London in July is 08:30 UTC (British Summer Time)
    assert order.due_at == datetime.datetime(2027, 7, 1, 8, 30)
    assert order.assignee_ids() == [site["tech"].id]
    page = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert "01 Jul 2027 09:30 BST" in page and "Tom Tech" in page
    assert "Created WO-000001" in page


@pytest.mark.parametrize(
    "changes, field_text",
    [
        ({"title": "   "}, "This field is required."),
        ({"asset_tag": "LIFT-01"}, "LIFT-01 is in another project."),
        ({"asset_tag": "NOPE"}, "No asset with this tag that you can see."),
        ({"due_at": "tomorrow"}, "Not a valid datetime value."),
        ({"due_at": "1999-01-01T10:00"}, "between the years 2000 and 2100"),
        ({"estimated_hours": "-1"}, "Between 0 and 9,999."),
        ({"estimated_hours": "lots"}, "Not a valid decimal value."),
        ({"priority": "whenever"}, "Not a valid choice."),
    ],
)
def test_bad_input_is_refused_at_the_field_and_nothing_is_saved(
    client, auth, site, changes, field_text
):
    auth.login(site["manager"])
    response = client.post("/work-orders/new", data=order_form(site, **changes))
    assert response.status_code == 422
    assert field_text in response.get_data(as_text=True)
    assert WorkOrder.select().count() == 0


def test_only_the_project_team_can_be_assigned(client, auth, site):
    auth.login(site["manager"])
    response = client.post(
        "/work-orders/new", data=order_form(site, assignee_ids=[site["outsider"].id])
    )
    assert response.status_code == 422
    assert "Only people on this project&#39;s team can be assigned." in response.get_data(
        as_text=True
    )
    assert WorkOrder.select().count() == 0


def test_team_choices_follow_the_project(client, auth, site, make_project):
    auth.login(site["manager"])
    body = client.get(
        f"/work-orders/team?project_id={site['other_project'].id}", headers=HX
    ).get_data(as_text=True)
    assert body.lstrip().startswith('<fieldset id="assignees"')
    assert "Olga" in body and "Tom Tech" not in body
    foreign = make_project()
    assert client.get(f"/work-orders/team?project_id={foreign.id}").status_code == 404


def test_a_technician_raises_work_on_their_own_projects_only(client, auth, site):
    auth.login(site["tech"])
    assert client.post("/work-orders/new", data=order_form(site)).status_code == 302
    other = order_form(site, project_id=site["other_project"].id, asset_tag="", assignee_ids=[])
    refused = client.post("/work-orders/new", data=other)
    assert refused.status_code == 422 and "Not a valid choice." in refused.get_data(as_text=True)
    assert WorkOrder.select().count() == 1


def test_client_users_follow_but_do_not_raise_or_move_work(client, auth, site):
    order = WorkOrder.open_for(site["manager"], site["project"], title="Leak", asset=site["asset"])
    auth.login(site["client_user"])
    assert client.get("/work-orders/new").status_code == 403
    page = client.get(f"/work-orders/{order.id}")
    assert page.status_code == 200 and "Leak" in page.get_data(as_text=True)
    assert ">Start<" not in page.get_data(as_text=True)
    moved = client.post(
        f"/work-orders/{order.id}/status", data={"to": "in_progress", "seen_status": "open"}
    )
    assert moved.status_code == 403
    assert WorkOrder.get_by_id(order.id).status == "open"
    assert client.get(f"/work-orders/{order.id}/edit").status_code == 403


def test_orders_outside_scope_answer_404(client, auth, site, make_project, make_user):
    mine = WorkOrder.open_for(site["manager"], site["project"], title="Mine")
    elsewhere = make_project()
    foreign_manager = make_user("manager", organisation=elsewhere.organisation_id)
    foreign = WorkOrder.open_for(foreign_manager, elsewhere, title="Foreign")
    lifts = WorkOrder.open_for(site["manager"], site["other_project"], title="Lift job")
    auth.login(site["tech"])
    assert client.get(f"/work-orders/{mine.id}").status_code == 200
    for order in (foreign, lifts):  # another organisation; a project the tech is not on
        for path in ("", "/edit", "/activity"):
            assert client.get(f"/work-orders/{order.id}{path}").status_code == 404
        status = client.post(
            f"/work-orders/{order.id}/status", data={"to": "in_progress", "seen_status": "open"}
        )
        assert status.status_code == 404
    assert WorkOrder.get_by_id(lifts.id).status == "open"


def move(client, order, to, seen, reason=""):
    return client.post(
        f"/work-orders/{order.id}/status", data={"to": to, "seen_status": seen, "reason": reason}
    )


def test_the_lifecycle_from_the_order_page(client, auth, site):
    order = WorkOrder.open_for(
        site["manager"],
        site["project"],
        [site["tech"]],
        title="Service",
        asset=site["asset"],
        asset_down=True,
    )
    Asset.update(status="down").where(Asset.id == site["asset"].id).execute()
    auth.login(site["tech"])
    assert move(client, order, "in_progress", "open").status_code == 302
    refused = move(client, order, "on_hold", "in_progress")
    assert refused.status_code == 422
    assert "Say why: a reason is required." in refused.get_data(as_text=True)
    assert move(client, order, "on_hold", "in_progress", "Waiting for a belt").status_code == 302
    page = client.get(f"/work-orders/{order.id}").get_data(as_text=True)
    assert "On hold: Waiting for a belt" in page
    assert move(client, order, "in_progress", "on_hold").status_code == 302
    assert move(client, order, "completed", "in_progress").status_code == 302
    assert Asset.get_by_id(site["asset"].id).status == "operational"
    not_mine = move(client, order, "closed", "completed")
    assert "Only a manager can do that." in not_mine.get_data(as_text=True)
    auth.logout()
    auth.login(site["manager"])
    stale = move(client, order, "closed", "in_progress")
    assert stale.status_code == 422
    assert "the page was out of date" in stale.get_data(as_text=True)
    assert move(client, order, "closed", "completed").status_code == 302
    order = WorkOrder.get_by_id(order.id)
    assert order.status == "closed" and order.closed_at and order.completed_by_id == site["tech"].id
    kinds = [a.kind for a in Activity.select().where(Activity.work_order == order.id)]
    assert kinds.count("status") == 5  # start, hold, resume, complete, close


def test_a_transition_posted_twice_applies_once(client, auth, site):
    order = WorkOrder.open_for(site["manager"], site["project"], title="Twice")
    auth.login(site["manager"])
    assert move(client, order, "in_progress", "open").status_code == 302
    assert move(client, order, "in_progress", "open").status_code == 422
    assert Activity.select().where(Activity.kind == "status").count() == 1


def test_edit_keeps_a_change_made_meanwhile(client, auth, site):
    order = WorkOrder.open_for(site["manager"], site["project"], title="Original")
    auth.login(site["tech"])
    form = client.get(f"/work-orders/{order.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    order.save_changes(site["manager"], order.version, title="Manager's title")
    data = {"title": "Tech's title", "type": "corrective", "priority": "low", "version": version}
    clash = client.post(f"/work-orders/{order.id}/edit", data=data)
    assert clash.status_code == 409
    text = clash.get_data(as_text=True)
    assert "Mia Manager changed this work order" in text and "Manager&#39;s title" in text
    assert WorkOrder.get_by_id(order.id).title == "Manager's title"
    fresh = re.search(r'name="version" type="hidden" value="(\d+)"', text).group(1)
    assert (
        client.post(f"/work-orders/{order.id}/edit", data={**data, "version": fresh}).status_code
        == 302
    )
    saved = WorkOrder.get_by_id(order.id)
    assert (saved.title, saved.priority) == ("Tech's title", "low")


def test_managers_assign_from_the_team(client, auth, site):
    order = WorkOrder.open_for(site["manager"], site["project"], title="Assign me")
    auth.login(site["tech"])
    assert (
        client.post(
            f"/work-orders/{order.id}/assignees", data={"assignee_ids": [site["tech"].id]}
        ).status_code
        == 403
    )
    auth.logout()
    auth.login(site["manager"])
    client.post(f"/work-orders/{order.id}/assignees", data={"assignee_ids": [site["outsider"].id]})
    assert order.assignee_ids() == []
    client.post(f"/work-orders/{order.id}/assignees", data={"assignee_ids": [site["tech"].id]})
    assert order.assignee_ids() == [site["tech"].id]
    assert Activity.get(Activity.kind == "assign").body == "Assigned Tom Tech"
    client.post(f"/work-orders/{order.id}/assignees", data={})
    assert Assignment.select().count() == 0


def test_the_timeline_refreshes_as_a_partial(client, auth, site):
    order = WorkOrder.open_for(site["manager"], site["project"], title="Timeline")
    auth.login(site["manager"])
    body = client.get(f"/work-orders/{order.id}/activity", headers=HX).get_data(as_text=True)
    assert body.lstrip().startswith('<ol id="timeline"') and "Created WO-000001" in body
    assert "<strong>Mia Manager</strong>" in body


def test_a_past_due_time_needs_a_tick_to_keep(client, auth, site):
    auth.login(site["manager"])
    past = order_form(site, due_at="2025-01-06T08:00")
    refused = client.post("/work-orders/new", data=past)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "This time has already passed." in text and 'name="confirm_past_due"' in text
    assert WorkOrder.select().count() == 0
    assert (
        client.post("/work-orders/new", data={**past, "confirm_past_due": "y"}).status_code == 302
    )
    order = WorkOrder.get()
    # an edit that leaves the past time as it was needs no tick
    form = client.get(f"/work-orders/{order.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    keep = {
        "title": "Renamed",
        "type": "corrective",
        "priority": "high",
        "version": version,
        "due_at": "2025-01-06T08:00",
    }
    assert client.post(f"/work-orders/{order.id}/edit", data=keep).status_code == 302
    moved = {**keep, "version": str(int(version) + 1), "due_at": "2025-01-07T08:00"}
    assert client.post(f"/work-orders/{order.id}/edit", data=moved).status_code == 422
    assert WorkOrder.get_by_id(order.id).due_at == datetime.datetime(2025, 1, 6, 8, 0)
