"""Calendar feeds: a private link per user (only its hash stored), renewed or turned off,
and an iCalendar file that parses back as RFC 5545 and lists exactly the user's work."""

import datetime
import hashlib
import re

import pytest
from icalendar import Calendar
from test_calendar_views import make_order

from models import AuditEvent, CalendarFeed, WorkOrder, utcnow


@pytest.fixture
def site(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org()
    ams = make_location(org, name="Amsterdam", timezone="Europe/Amsterdam")
    acme = make_client(ams, name="Acme Foods")
    bolt = make_client(ams, name="Bolt Metals")
    project = make_project(acme, code="ACME-1", name="Acme HVAC")
    bolt_project = make_project(bolt, code="BOLT-1", name="Bolt Press")
    tech = make_user("technician", organisation=org, projects=[project], name="Tom Tech")
    return {
        "project": project,
        "bolt_project": bolt_project,
        "asset": make_asset(project, tag="AHU-01", name="Air handler"),
        "tech": tech,
        "mate": make_user("technician", organisation=org, projects=[project], name="Mo Mate"),
        "manager": make_user("manager", organisation=org, name="Mia"),
        "client_user": make_user("client", organisation=org, client=acme, name="Carl"),
    }


def feed_path(client):
    """Turn the signed-in user's feed on and return the https link's path."""
    page = client.post("/calendar/feed", follow_redirects=True).get_data(as_text=True)
    url = re.search(r'id="feed-https" type="text" readonly value="([^"]+)"', page).group(1)
    assert url.startswith("http://localhost/calendar/feed/") and url.endswith(".ics")
    assert f'value="webcal://{url.split("://")[1]}"' in page
    return url.removeprefix("http://localhost")


def parse(response):
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.data)
    assert calendar.name == "VCALENDAR"
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    events = list(calendar.walk("VEVENT"))
    for event in events:
        assert event.get("UID") and event.get("DTSTAMP") and event.get("DTSTART")
    return events


def test_feed_page_starts_off_and_needs_a_sign_in(client, auth, site):
    assert "/login" in client.get("/calendar/feed").location
    auth.login(site["tech"])
    body = client.get("/calendar/feed").get_data(as_text=True)
    assert "Your feed is off." in body and "Create my feed link" in body


def test_only_a_hash_of_the_token_is_stored(client, auth, site):
    auth.login(site["tech"])
    path = feed_path(client)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    feed = CalendarFeed.get()
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = " ".join(str(v) for v in CalendarFeed.select().dicts().get().values())
    assert token not in row
    assert AuditEvent.select().where(AuditEvent.action == "calendar_feed_on").count() == 1
    # the page shows the same link again later
    assert path in client.get("/calendar/feed").get_data(as_text=True)


def test_technician_feed_lists_only_their_assignments(client, auth, site):
    due = datetime.datetime(2027, 6, 10, 7, 30)
    mine = make_order(site["project"], "Belt change", due, [site["tech"]], hours=2.5)
    mine.asset = site["asset"]
    mine.description = "Replace the belt; check tension."
    mine.save()
    make_order(site["project"], "Mate's job", due, [site["mate"]])
    make_order(site["project"], "Nobody's job", due)
    make_order(site["project"], "Undated", None, [site["tech"]])
    auth.login(site["tech"])
    path = feed_path(client)
    client.post("/logout")
    response = client.get(path)  # no session needed
    events = parse(response)
    assert [str(e["SUMMARY"]) for e in events] == [f"{mine.reference} Belt change"]
    event = events[0]
    assert str(event["UID"]) == f"wo-{mine.id}@localhost"
    assert event.decoded("DTSTART") == due.replace(tzinfo=datetime.UTC)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == datetime.timedelta(hours=2.5)
    assert str(event["URL"]) == f"http://localhost/work-orders/{mine.id}"
    assert "AHU-01 Air handler" in str(event["DESCRIPTION"])
    assert f"http://localhost/work-orders/{mine.id}" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "Acme HVAC, Acme Foods (Amsterdam)"
    assert str(event["STATUS"]) == "CONFIRMED" and event.get("LAST-MODIFIED")
    assert response.headers["Cache-Control"] == "private, max-age=300"


def test_feed_keeps_recent_done_and_cancelled_work_and_drops_old(client, auth, site):
    due = datetime.datetime(2027, 6, 10, 9)
    tech = [site["tech"]]
    recent = make_order(site["project"], "Done lately", due, tech, status="completed")
    old = make_order(site["project"], "Done long ago", due, tech, status="closed")
    dropped = make_order(site["project"], "Called off", due, tech, status="cancelled")
    stale = make_order(site["project"], "Called off long ago", due, tech, status="cancelled")
    now = utcnow()
    WorkOrder.update(completed_at=now - datetime.timedelta(days=3)).where(
        WorkOrder.id == recent.id
    ).execute()
    WorkOrder.update(completed_at=now - datetime.timedelta(days=45)).where(
        WorkOrder.id == old.id
    ).execute()
    WorkOrder.update(updated_at=now - datetime.timedelta(days=45)).where(
        WorkOrder.id == stale.id
    ).execute()
    auth.login(site["tech"])
    events = {str(e["SUMMARY"]): e for e in parse(client.get(feed_path(client)))}
    assert set(events) == {f"{recent.reference} Done lately", f"{dropped.reference} Called off"}
    assert str(events[f"{dropped.reference} Called off"]["STATUS"]) == "CANCELLED"
    default = events[f"{recent.reference} Done lately"]
    assert default.decoded("DTEND") - default.decoded("DTSTART") == datetime.timedelta(hours=1)


def test_client_user_feed_lists_their_clients_work_only(client, auth, site):
    due = datetime.datetime(2027, 6, 10, 9)
    make_order(site["project"], "Acme job", due)
    make_order(site["bolt_project"], "Bolt job", due)
    auth.login(site["client_user"])
    events = parse(client.get(feed_path(client)))
    assert [str(e["SUMMARY"]).split(" ", 1)[1] for e in events] == ["Acme job"]


def test_new_link_revokes_the_old_one(client, auth, site):
    auth.login(site["tech"])
    first = feed_path(client)
    second = feed_path(client)
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert CalendarFeed.select().count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "calendar_feed_renew").count() == 1


def test_turn_off_revokes_the_link(client, auth, site):
    auth.login(site["tech"])
    path = feed_path(client)
    page = client.post("/calendar/feed/off", follow_redirects=True).get_data(as_text=True)
    assert "Your calendar feed is off" in page and "Your feed is off." in page
    assert client.get(path).status_code == 404
    assert CalendarFeed.select().count() == 0
    assert client.post("/calendar/feed/off").status_code == 302  # twice: nothing to do


@pytest.mark.parametrize(
    "token", ["unknown-token-abcdefghijklmnop", "short", "x" * 101, "a.b", "%00" * 10]
)
def test_unknown_or_malformed_tokens_are_404(client, site, token):
    assert client.get(f"/calendar/feed/{token}.ics").status_code == 404


def test_feed_of_a_deactivated_user_is_404(client, auth, site):
    auth.login(site["tech"])
    path = feed_path(client)
    site["tech"].active = False
    site["tech"].save()
    assert client.get(path).status_code == 404


def test_feed_records_when_it_was_last_read(client, auth, site):
    auth.login(site["tech"])
    path = feed_path(client)
    assert "not read by a calendar app yet" in client.get("/calendar/feed").get_data(as_text=True)
    client.get(path)
    assert CalendarFeed.get().last_fetched_at is not None
    assert "last read by a calendar app" in client.get("/calendar/feed").get_data(as_text=True)


def test_feed_links_use_base_url(app, client, auth, site):
    app.config["BASE_URL"] = "https://fettle.example.com/"
    auth.login(site["tech"])
    page = client.post("/calendar/feed", follow_redirects=True).get_data(as_text=True)
    assert 'value="webcal://fettle.example.com/calendar/feed/' in page
    assert 'value="https://fettle.example.com/calendar/feed/' in page
    token = re.search(r"/calendar/feed/([A-Za-z0-9_-]+)\.ics", page).group(1)
    make_order(site["project"], "Job", datetime.datetime(2027, 1, 1, 9), [site["tech"]])
    event = parse(client.get(f"/calendar/feed/{token}.ics"))[0]
    assert str(event["UID"]).endswith("@fettle.example.com")
    assert str(event["URL"]).startswith("https://fettle.example.com/work-orders/")


def test_a_link_made_under_another_secret_key_is_never_shown_wrong(app, client, auth, site):
    auth.login(site["tech"])
    path = feed_path(client)
    feed = CalendarFeed.get()
    assert feed.token("another-secret") is None
    # as if SECRET_KEY had changed since: the nonce no longer makes the stored token
    CalendarFeed.update(nonce="made-under-an-old-key").execute()
    assert client.get(path).status_code == 200  # the stored hash still finds it...
    page = client.get("/calendar/feed").get_data(as_text=True)
    assert "cannot be shown again" in page and ".ics" not in page  # ...never a wrong link
    assert client.get(feed_path(client)).status_code == 200
