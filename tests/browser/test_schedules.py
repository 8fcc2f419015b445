"""A manager schedules monthly work for an asset; days later the worker's periodic task
(a real Huey consumer process) creates the work order; the technician finds it in My work,
on their calendar and in their calendar feed, as a calendar app reads it."""

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

import tasks
from models import Asset, Project, Schedule, WorkOrder, db, utcnow
from tasks.schedules import generate_schedules

from .test_smoke import sign_in

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
TITLE = "Monthly belt and filter check"


class Worker:
    """The consumer process and its log (a periodic task stores no result: the log says
    when it has run)."""

    def __init__(self, process, log_path):
        self.process, self.log_path = process, log_path

    def wait_for_runs(self, count, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log_path.read_text()
            runs = [
                line
                for line in log.splitlines()
                if "tasks.schedules.generate_schedules" in line and " executed in " in line
            ]  # the consumer also delivers the alerts' mail: count only this task's runs
            if len(runs) >= count:
                return
            if self.process.poll() is not None:
                raise AssertionError(f"the consumer stopped:\n{log}")
            time.sleep(0.2)
        raise AssertionError(f"the task did not run {count} time(s):\n{self.log_path.read_text()}")


@pytest.fixture
def worker(live_server, tmp_path):
    """A Huey consumer in its own process, on the queue this process enqueues to (the
    instance's SQLite queue) and on the test database."""
    tasks.huey.flush()
    env = dict(
        os.environ,
        DATABASE_URL=live_server.app.config["DATABASE_URL"],
        FETTLE_INSTANCE=os.environ["FETTLE_INSTANCE"],
    )
    env.pop("REDIS_URL", None)
    consumer = Path(sys.executable).parent / "huey_consumer"
    log_path = tmp_path / "consumer.log"
    log = open(log_path, "w")  # noqa: SIM115  (closed after the process)
    process = subprocess.Popen(
        [str(consumer), "tasks.huey", "--workers", "1", "--no-periodic", "--flush-locks"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    yield Worker(process, log_path)
    process.send_signal(signal.SIGINT)  # a graceful stop
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()
    tasks.huey.flush()


def test_monthly_schedule_reaches_my_work_and_the_calendar_feed(
    live_server, worker, page, demo_password
):
    live_server.load_demo()
    with live_server.app.app_context(), db.connection_context():
        asset = (
            Asset.select()
            .join(Project, on=(Asset.project == Project.id))
            .where(Project.code == "NGM-HV", Asset.parent.is_null())
            .order_by(Asset.tag)
            .first()
        )
    # The manager: ten days ahead, created a week before it is due, assigned to Tom.
    sign_in(page, live_server, "manager@example.com", demo_password)
    page.goto(f"{live_server.url}/assets/{asset.id}")
    page.get_by_role("button", name="New schedule").click()
    expect(page.get_by_label("Asset tag")).to_have_value(asset.tag)
    page.get_by_label("Title").first.fill(TITLE)
    page.locator("#unit").select_option("month")
    start = dt.date.today() + dt.timedelta(days=10)
    page.get_by_label("First day").fill(start.isoformat())
    page.get_by_label("Lead time (days)").fill("7")
    page.get_by_label("Assign to").select_option(label="Tom Becker")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.locator(".flash-success")).to_contain_text("Schedule saved")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.get_by_text("Every month on day")).to_be_visible()
    expect(page.locator("table.list tbody")).to_contain_text("None yet.")  # not in its lead time

    # Four days later its lead time has come. Nothing in the database changes as days
    # pass, so moving the schedule's dates four days back is the same as moving the clock
    # four days on (whatever the time of day). Then the worker's periodic task runs, in
    # the consumer process.
    shift = dt.timedelta(days=4)
    with live_server.app.app_context(), db.connection_context():
        schedule = Schedule.get(Schedule.title == TITLE)
        assert WorkOrder.select().where(WorkOrder.title == TITLE).count() == 0
        assert schedule.generate_at > utcnow()
        Schedule.update(
            start_date=schedule.start_date - shift,
            next_due_at=schedule.next_due_at - shift,
            generate_at=schedule.generate_at - shift,
        ).where(Schedule.id == schedule.id).execute()
    generate_schedules()  # enqueued, as the scheduler does every five minutes
    worker.wait_for_runs(1)
    with live_server.app.app_context(), db.connection_context():
        (order,) = WorkOrder.select().where(WorkOrder.title == TITLE)
        assert order.type == "preventive" and order.assignee_ids()
        schedule = Schedule.get_by_id(schedule.id)
        assert schedule.next_due_at > order.due_at  # moved on to the next month
    generate_schedules()
    worker.wait_for_runs(2)
    with live_server.app.app_context(), db.connection_context():
        assert WorkOrder.select().where(WorkOrder.title == TITLE).count() == 1  # only once
    page.reload()
    expect(page.locator("table.list tbody")).to_contain_text(order.reference)

    # The technician: My work, the calendar, then the feed as a calendar app reads it.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "tech@example.com", demo_password)
    page.goto(f"{live_server.url}/my-work")
    upcoming = page.locator("section[aria-labelledby=sec-upcoming]")
    expect(upcoming).to_be_visible()
    if not upcoming.locator(".job").filter(has_text=order.reference).count():
        # A busy week in the demo: the section shows its ten soonest, the rest one tap away.
        upcoming.locator(".more-jobs a").click()
    expect(page.get_by_text(order.reference).first).to_be_visible()
    page.goto(f"{live_server.url}/calendar?date={(start - shift).isoformat()}")
    expect(page.locator(".cal-entry").filter(has_text=order.reference)).to_be_visible()
    page.get_by_role("button", name="Calendar feed").click()
    page.get_by_role("button", name="Create my feed link").click()
    link = page.get_by_label("Web link (Google Calendar: “From URL”)")
    expect(link).to_have_value(re.compile(r"/calendar/feed/[A-Za-z0-9_-]+\.ics$"))
    path = "/calendar/feed/" + link.input_value().rsplit("/calendar/feed/", 1)[1]
    response = page.context.request.get(live_server.url + path)
    assert response.status == 200
    events = {
        str(e["UID"]).split("@")[0]: e for e in Calendar.from_ical(response.body()).walk("VEVENT")
    }
    event = events[f"wo-{order.id}"]
    assert TITLE in str(event["SUMMARY"]) and order.reference in str(event["SUMMARY"])
    assert event.decoded("DTSTART").replace(tzinfo=None) == order.due_at  # in UTC
    page.screenshot(path="/tmp/shots-pm/browser-feed-page.png", full_page=True)
