"""A manager assigns a work order; the technician's email arrives at a real SMTP server
(delivered by a real Huey consumer); its link, opened in Chromium, goes through sign-in to
the work order. The same link answers 404 to someone who cannot see the order."""

import re

import pytest
from conftest import PASSWORD
from playwright.sync_api import expect

import tasks
from models import User, WorkOrder, db, utcnow

pytestmark = pytest.mark.browser


@pytest.fixture
def consumer(worker_app):
    """Huey's consumer in this process (the app's SQLite queue), two worker threads."""
    tasks.huey.flush()
    consumer = tasks.huey.create_consumer(workers=2, periodic=False, worker_type="thread")
    consumer.start()
    yield consumer
    consumer.stop(graceful=True)
    tasks.huey.flush()


def sign_in(page, email):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 800}])
def test_assignment_email_link_leads_through_sign_in_to_the_work_order(
    live_server, page, browser, scene, smtp_sink, consumer, app, viewport
):
    app.config.update(SMTP_URL=smtp_sink.url, BASE_URL=live_server.url)
    with db.connection_context():
        order = WorkOrder.open_for(
            scene.manager, scene.project, [], title="Chiller 2 service", due_at=utcnow()
        )
    # The manager assigns Tom on the order's page.
    manager = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = manager.new_page()
    desk.goto(f"{live_server.url}/work-orders/{order.id}")
    sign_in(desk, scene.manager.email)
    expect(desk.get_by_role("heading", level=1)).to_contain_text("WO-000001")
    desk.get_by_role("checkbox", name="Tom Becker").check()
    desk.get_by_role("button", name="Save assignees").click()
    expect(desk.locator(".flash-success")).to_contain_text("Assignees saved.")
    manager.close()

    # The worker delivers Tom's email to the SMTP server.
    assert smtp_sink.wait_for(1, timeout=20) >= 1
    [email] = smtp_sink.to(scene.tech.email)
    assert email["Subject"] == "Assigned to you: WO-000001 Chiller 2 service, Northgate Mall Ltd"
    link = re.search(rf"{re.escape(live_server.url)}/work-orders/\d+", email.text()).group(0)

    # Tom, on his phone and not signed in, follows it: sign-in first, then the order.
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    sign_in(page, scene.tech.email)
    expect(page).to_have_url(link)
    expect(page.get_by_role("heading", level=1)).to_contain_text("WO-000001")
    expect(page.locator("#bell .count")).to_have_text("1")

    # The email's "Start the work" button asks first, then starts it.
    start = re.search(r"Start the work:\n(\S+)", email.text()).group(1)
    page.goto(start)
    expect(page.get_by_role("heading", level=1)).to_have_text("Start the work?")
    with db.connection_context():
        assert WorkOrder.get_by_id(order.id).status == "open"  # opening the link did nothing
    page.get_by_role("button", name="Start the work").click()
    expect(page.locator(".flash-success")).to_contain_text("WO-000001 is now in progress.")

    # Someone signed in who cannot see the order gets "not found".
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    stranger = other.new_page()
    stranger.goto(link)
    sign_in(stranger, scene.other_tech.email)
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Not found")
    other.close()
    with db.connection_context():
        assert User.get_by_id(scene.tech.id).last_login_at is not None
