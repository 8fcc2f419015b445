"""Recording the work in a real browser at phone width: a technician times the job, logs
time, adds a part and a photo, and mentions the manager; each section updates in place and
the totals follow."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from models import Asset, Project, User, WorkOrder, WorkOrderFile, db

from .test_smoke import sign_in

pytestmark = pytest.mark.browser


def demo_order(live_server):
    """A fresh order on one of Tom's projects, assigned to him."""
    with live_server.app.app_context(), db.connection_context():
        tom = User.get(User.email == "tech@example.com")
        maria = User.get(User.email == "manager@example.com")
        project = Project.get(Project.code == "NGM-HV")
        asset = Asset.select().where(Asset.project == project).first()
        return WorkOrder.open_for(maria, project, [tom], title="Supply fan noisy", asset=asset)


def photo_bytes():
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (40, 90, 120)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 800}])
def test_technician_records_the_work_on_a_phone(live_server, page, demo_password):
    live_server.load_demo()
    order = demo_order(live_server)
    sign_in(page, live_server, "tech@example.com", demo_password)
    page.goto(f"{live_server.url}/work-orders/{order.id}")

    time = page.locator("#time_entries")
    time.get_by_role("button", name="Start timer").click()
    expect(time.get_by_text("Timer started.")).to_be_visible()
    expect(time.get_by_role("button", name=re.compile("Stop timer"))).to_be_visible()

    time.get_by_text("Log time by hand").click()
    time.get_by_label("Time spent").fill("25:00")
    time.get_by_role("button", name="Log time").click()
    expect(time.locator("#duration-error")).to_contain_text("at most 24 hours")
    time.get_by_label("Time spent").fill("1:30")
    time.get_by_role("button", name="Log time").click()
    expect(time.get_by_text("Time logged.")).to_be_visible()
    expect(page.locator("#totals")).to_contain_text("1:30")

    parts = page.locator("#parts")
    parts.get_by_text("Add a part").click()
    parts.get_by_label("Part").fill("V-belt SPA 1250")
    parts.get_by_label("Quantity").fill("2")
    parts.get_by_label("Unit cost").fill("12.50")
    parts.get_by_role("button", name="Add part").click()
    expect(parts.get_by_text("2 × 12.50 = 25.00")).to_be_visible()
    expect(page.locator("#totals")).to_contain_text("25.00")

    files = page.locator("#files")
    files.locator("input[name=files]").set_input_files(
        files=[{"name": "fan.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}]
    )  # chosen from the phone: the upload starts by itself
    expect(files.get_by_text("Uploaded fan.jpg.")).to_be_visible()
    expect(files.locator("img[alt='fan.jpg']")).to_be_visible()

    comments = page.locator("#comments")
    comments.get_by_label("Comment").fill("Belt replaced, @Maria Santos please order a spare")
    comments.get_by_role("button", name="Post comment").click()
    expect(comments.locator("mark.mention")).to_have_text("@Maria Santos")
    expect(page.locator("#timeline")).to_contain_text("please order a spare")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    with live_server.app.app_context(), db.connection_context():
        assert WorkOrderFile.select().where(WorkOrderFile.work_order == order.id).count() == 1
