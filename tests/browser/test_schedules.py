"""A manager schedules monthly work for an asset; the worker's pass runs; the technician
finds the order in My work."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from models import Asset, Project, Schedule, WorkOrder, db
from models.generation import run_pass

from .test_smoke import sign_in

pytestmark = pytest.mark.browser


def test_monthly_schedule_reaches_the_technicians_my_work(live_server, page, demo_password):
    live_server.load_demo()
    with live_server.app.app_context(), db.connection_context():
        asset = (
            Asset.select()
            .join(Project, on=(Asset.project == Project.id))
            .where(Project.code == "NGM-HV", Asset.parent.is_null())
            .order_by(Asset.tag)
            .first()
        )
    sign_in(page, live_server, "manager@example.com", demo_password)
    page.goto(f"{live_server.url}/assets/{asset.id}")
    page.get_by_role("button", name="New schedule").click()
    expect(page.get_by_label("Asset tag")).to_have_value(asset.tag)
    page.get_by_label("Title").first.fill("Monthly belt and filter check")
    page.locator("#unit").select_option("month")
    start = dt.date.today() + dt.timedelta(days=3)
    page.get_by_label("First day").fill(start.isoformat())
    page.get_by_label("Lead time (days)").fill("7")
    page.get_by_label("Assign to").select_option(label="Tom Becker")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.locator(".flash-success")).to_contain_text("Schedule saved")
    expect(page.get_by_role("heading", name="Monthly belt and filter check")).to_be_visible()
    page.screenshot(path="/tmp/schedule_show.png", full_page=True)
    with live_server.app.app_context(), db.connection_context():
        run_pass()  # what the periodic task runs; saving already created what was due
        schedule = Schedule.get(Schedule.title == "Monthly belt and filter check")
        order = WorkOrder.get(WorkOrder.title == schedule.title)
        assert (
            order.type == "preventive"
            and WorkOrder.select().where(WorkOrder.title == schedule.title).count() == 1
        )
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "tech@example.com", demo_password)
    page.goto(f"{live_server.url}/my-work")
    expect(page.locator(".job").filter(has_text=order.reference)).to_be_visible()
