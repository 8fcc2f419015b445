"""Work orders where people meet them outside the work order pages: the home page counts,
an asset's maintenance history, a project's open work, and the demo data."""

import datetime
import re

from models import Organisation, User, WorkOrder, utcnow
from models.demo import load_demo


def test_home_counts_open_overdue_and_mine(client, auth, make_project, make_user):
    project = make_project()
    org = project.organisation_id
    manager = make_user("manager", organisation=org)
    tech = make_user("technician", organisation=org, projects=[project])
    late = utcnow() - datetime.timedelta(hours=1)
    WorkOrder.open_for(manager, project, [tech], title="Late", due_at=late)
    WorkOrder.open_for(manager, project, title="Later")
    done = WorkOrder.open_for(manager, project, title="Done", due_at=late)
    done.transition(manager, "in_progress", "open")
    done.transition(manager, "completed", "in_progress")
    auth.login(tech)
    page = client.get("/").get_data(as_text=True)

    def tile(label):
        return re.search(rf"<strong[^>]*>([\d,]+)</strong><span>{label}</span>", page).group(1)

    # The technician's own day (issue 7's dashboard): only work assigned to them counts.
    assert (
        tile("Overdue, assigned to you"),
        tile("Due later today"),
        tile("In progress"),
    ) == ("1", "0", "0")
    auth.login(manager)
    page = client.get("/").get_data(as_text=True)
    assert (tile("Open work orders"), tile("Overdue")) == ("2", "1")


def test_asset_page_lists_open_work_first_then_finished(client, auth, make_asset, make_user):
    asset = make_asset()
    manager = make_user("manager", organisation=asset.organisation_id)
    project = asset.project
    old = WorkOrder.open_for(manager, project, title="Old repair", asset=asset)
    old.transition(manager, "in_progress", "open")
    old.transition(manager, "completed", "in_progress")
    WorkOrder.open_for(manager, project, title="No date yet", asset=asset)
    WorkOrder.open_for(
        manager,
        project,
        title="Due soon",
        asset=asset,
        due_at=utcnow() + datetime.timedelta(days=1),
    )
    WorkOrder.open_for(manager, project, title="Other asset's job")
    auth.login(manager)
    page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    section = page[page.index('id="maintenance"') : page.index('id="history"')]
    titles = re.findall(r'<td data-label="Title">([^<]+) <small', section)
    assert titles == ["Due soon", "No date yet", "Old repair"]
    assert f"/work-orders/new?asset={asset.id}" in page


def test_project_page_shows_open_work(client, auth, make_project, make_user):
    project = make_project()
    manager = make_user("manager", organisation=project.organisation_id)
    WorkOrder.open_for(manager, project, title="Replace filter")
    auth.login(manager)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Replace filter" in page and f"/work-orders/new?project={project.id}" in page


def test_demo_has_a_year_of_work_and_work_for_today(app):
    load_demo(asset_total=60)
    org = Organisation.get()
    orders = WorkOrder.select().where(WorkOrder.organisation == org.id)
    assert orders.where(WorkOrder.status == "closed").count() > 100
    oldest = orders.order_by(WorkOrder.created_at).first().created_at
    assert oldest < utcnow() - datetime.timedelta(days=300)
    tom = User.get(User.email == "tech@example.com")
    mine = [o for o in orders if tom.id in o.assignee_ids() and o.is_open]
    assert any(o.is_overdue for o in mine) and any(not o.is_overdue for o in mine)
    numbers = sorted(o.number for o in orders)
    assert numbers == list(range(1, len(numbers) + 1))
