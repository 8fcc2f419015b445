"""The calendar in a real browser: a manager pages to the next month and back (HTMX swaps
the calendar and pushes the URL), a technician turns on their feed and a calendar app can
read it, and the month fits a phone without sideways scrolling."""

import re

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from models import Assignment, User, db

from .test_smoke import sign_in

pytestmark = pytest.mark.browser


def test_manager_moves_to_the_next_month_and_back(live_server, page, demo_password):
    live_server.load_demo()
    sign_in(page, live_server, "manager@example.com", demo_password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    heading = page.locator("#calendar h1")
    this_month = heading.inner_text()
    expect(page.locator(".cal-day").first).to_be_visible()
    expect(page.get_by_role("heading", name="Workload per technician")).to_be_visible()

    page.get_by_role("button", name="Next ›").click()
    expect(heading).not_to_have_text(this_month)
    expect(page).to_have_url(re.compile(r"/calendar\?date=\d{4}-\d{2}-01$"))
    next_month = heading.inner_text()
    page.get_by_role("button", name="‹ Previous").click()
    expect(heading).to_have_text(this_month)
    page.go_back()  # the pushed URL restores the next month
    expect(heading).to_have_text(next_month)

    page.get_by_role("button", name="Week", exact=True).click()
    expect(heading).to_contain_text("Week ")
    expect(page.locator(".cal-day")).to_have_count(7)


def test_technician_turns_on_the_feed_and_a_calendar_app_reads_it(live_server, page, demo_password):
    live_server.load_demo()
    sign_in(page, live_server, "tech@example.com", demo_password)
    page.goto(f"{live_server.url}/calendar")
    page.get_by_role("button", name="Calendar feed").click()
    page.get_by_role("button", name="Create my feed link").click()
    link = page.get_by_label("Web link (Google Calendar: “From URL”)")
    expect(link).to_have_value(re.compile(r"/calendar/feed/[A-Za-z0-9_-]+\.ics$"))
    expect(page.get_by_label("Subscribe link (Apple Calendar, Outlook)")).to_have_value(
        re.compile(r"^webcal://")
    )
    path = "/calendar/feed/" + link.input_value().rsplit("/calendar/feed/", 1)[1]

    response = page.context.request.get(live_server.url + path)  # as a calendar app would
    assert response.status == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    events = list(Calendar.from_ical(response.body()).walk("VEVENT"))
    assert events
    with live_server.app.app_context(), db.connection_context():
        tom = User.get(User.email == "tech@example.com")
        assigned = {
            f"wo-{order_id}"
            for (order_id,) in Assignment.select(Assignment.work_order)
            .where(Assignment.user == tom.id)
            .tuples()
        }
    assert {str(e["UID"]).split("@")[0] for e in events} <= assigned

    page.once("dialog", lambda dialog: dialog.accept())  # "Turn the feed off?"
    page.get_by_role("button", name="Turn off").click()
    expect(page.get_by_text("Your feed is off.")).to_be_visible()
    assert page.context.request.get(live_server.url + path).status == 404


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 800}])
def test_month_on_a_phone_lists_days_without_sideways_scrolling(live_server, page, demo_password):
    live_server.load_demo()
    sign_in(page, live_server, "tech@example.com", demo_password)
    page.goto(f"{live_server.url}/calendar?technician=all")
    expect(page.locator("#calendar h1")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.locator(".cal-head")).to_be_hidden()
    page.get_by_role("button", name="Next ›").click()
    expect(page).to_have_url(re.compile(r"technician=all"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
