"""Work orders in a real browser: a technician starts and completes a job from My work on a
phone; a manager raises an order from an asset, the team list following the project."""

import re

import pytest
from playwright.sync_api import expect

from models import Asset, Project, User, WorkOrder, db

from .test_smoke import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 800}])
def test_technician_starts_and_completes_from_my_work_on_a_phone(live_server, page, demo_password):
    live_server.load_demo()
    sign_in(page, live_server, "tech@example.com", demo_password)
    page.goto(f"{live_server.url}/my-work")
    expect(page.get_by_role("heading", name="Overdue")).to_be_visible()
    job = page.locator(".job").filter(has=page.get_by_role("button", name="Start")).first
    reference = job.locator(".tag").first.inner_text()
    box = job.get_by_role("button", name="Start").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 120  # a thumb can hit it
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
    job.get_by_role("button", name="Start").click()
    expect(page.locator(".flash-success")).to_contain_text(f"{reference} is now in progress")
    started = page.locator(".job").filter(has_text=reference)
    started.get_by_role("button", name="Complete").click()
    expect(page.locator(".flash-success")).to_contain_text(f"{reference} is now completed")
    with live_server.app.app_context(), db.connection_context():
        number = int(reference.split("-")[1])
        assert WorkOrder.get(WorkOrder.number == number).status == "completed"


def test_manager_raises_an_order_from_an_asset(live_server, page, demo_password):
    live_server.load_demo()
    with live_server.app.app_context(), db.connection_context():
        asset = (
            Asset.select()
            .join(Project, on=(Asset.project == Project.id))
            .where(Project.code == "NGM-HV", Asset.parent.is_null())
            .order_by(Asset.tag)
            .first()
        )
        other = Project.get(Project.code == "QDC-CO")  # Priya's, not Tom's
    sign_in(page, live_server, "manager@example.com", demo_password)
    page.goto(f"{live_server.url}/assets/{asset.id}")
    page.get_by_role("button", name="New work order").click()
    expect(page.get_by_label("Asset tag")).to_have_value(asset.tag)
    team = page.locator("#assignees")
    expect(team).to_contain_text("Tom Becker")
    # choosing another project swaps the team in place (HTMX), then back again
    page.locator("#project_id").select_option(str(other.id))
    expect(team).not_to_contain_text("Tom Becker")
    expect(team).to_contain_text("Priya Nair")
    page.locator("#project_id").select_option(str(asset.project_id))
    expect(team).to_contain_text("Tom Becker")
    page.get_by_label("Title").fill("Fan belt squealing")
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("Due (local time at the site)").fill("2027-12-03T14:30")
    page.get_by_label("Tom Becker").check()
    page.get_by_role("button", name="Raise work order").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fan belt squealing")
    expect(page.locator(".facts")).to_contain_text("03 Dec 2027 14:30 GMT")
    expect(page.locator("#timeline")).to_contain_text(re.compile(r"Created WO-\d{6}"))
    with live_server.app.app_context(), db.connection_context():
        order = WorkOrder.get(WorkOrder.title == "Fan belt squealing")
        tom = User.get(User.email == "tech@example.com")
        assert order.assignee_ids() == [tom.id] and order.asset_id == asset.id


def test_dispatcher_bulk_assigns_from_the_list(live_server, page, demo_password):
    live_server.load_demo()
    with live_server.app.app_context(), db.connection_context():
        project = Project.get(Project.code == "NGM-HV")
        tom = User.get(User.email == "tech@example.com")
    sign_in(page, live_server, "manager@example.com", demo_password)
    page.goto(f"{live_server.url}/work-orders?project={project.id}&assignee=none&status=all")
    rows = page.locator("#results tbody tr")
    if rows.count() < 2 or "No work orders" in rows.first.inner_text():
        with live_server.app.app_context(), db.connection_context():
            manager = User.get(User.email == "manager@example.com")
            for title in ("Unassigned one", "Unassigned two"):
                WorkOrder.open_for(manager, project, title=title)
        page.reload()
    picked = [rows.nth(i).locator("td[data-label=Number] a").inner_text() for i in range(2)]
    for i in range(2):
        rows.nth(i).locator("input[name=ids]").check()
    page.locator("#bulk-action").select_option("assign")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Assign: 2 work orders")
    page.get_by_label("Add this technician to each order").select_option(label="Tom Becker")
    page.get_by_role("button", name="Assign (2)").click()
    expect(page.locator(".flash-success")).to_contain_text("Tom Becker assigned to 2 work orders")
    with live_server.app.app_context(), db.connection_context():
        for reference in picked:
            order = WorkOrder.get(WorkOrder.number == int(reference.split("-")[1]))
            assert tom.id in order.assignee_ids()
