"""Recording the work on the order page: who may do what, refusals at the field, HTMX swaps
of one section, files served only to people who see the order, a constant query count."""

import datetime
import io
import re

import pytest
from playhouse.test_utils import count_queries

from models import (
    Activity,
    Comment,
    Downtime,
    Mention,
    PartUsed,
    TimeEntry,
    WorkOrder,
    WorkOrderFile,
    utcnow,
)
from models.clock import utc_to_local

HX = {"HX-Request": "true"}


@pytest.fixture
def site(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org()
    london = make_location(org, name="London", timezone="Europe/London")
    client = make_client(london, name="Acme Foods")
    project = make_project(client, code="ACME-1")
    other_project = make_project(client, code="ACME-2")
    asset = make_asset(project, tag="AHU-01")
    manager = make_user("manager", organisation=org, name="Mia Manager", email="mia@example.com")
    tech = make_user(
        "technician", organisation=org, projects=[project], name="Tom Tech", email="tom@example.com"
    )
    mate = make_user(
        "technician",
        organisation=org,
        projects=[project],
        name="Pat Partner",
        email="pat@example.com",
    )
    outsider = make_user("technician", organisation=org, projects=[other_project], name="Olga")
    client_user = make_user(
        "client", organisation=org, client=client, name="Carl Client", email="carl@example.com"
    )
    stranger = make_user("admin", organisation=make_org(), name="Stan Stranger")
    order = WorkOrder.open_for(manager, project, [tech], title="Belt squeal", asset=asset)
    return {
        "org": org,
        "project": project,
        "asset": asset,
        "manager": manager,
        "tech": tech,
        "mate": mate,
        "outsider": outsider,
        "client_user": client_user,
        "stranger": stranger,
        "order": order,
    }


def url(site, tail=""):
    return f"/work-orders/{site['order'].id}{tail}"


def today():
    return utc_to_local(utcnow(), "Europe/London").date()


def png_bytes(size=(60, 40)):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, "PNG")
    return out.getvalue()


def test_the_order_page_shows_every_section_to_a_technician(client, auth, site):
    auth.login(site["tech"])
    body = client.get(url(site)).get_data(as_text=True)
    for section in (
        "totals",
        "time_entries",
        "parts",
        "files",
        "completion",
        "downtime",
        "comments",
    ):
        assert f'id="{section}"' in body
    assert "Start timer" in body and "Log time by hand" in body and "Add a part" in body
    assert 'capture="environment"' in body and 'accept="image/*,application/pdf"' in body


def test_a_client_user_reads_records_and_comments_but_writes_nothing(client, auth, site):
    PartUsed.add(site["tech"], site["order"], "V-belt", 2, 12)
    Comment.post(site["tech"], site["order"], "Belt ordered")
    auth.login(site["client_user"])
    body = client.get(url(site)).get_data(as_text=True)
    assert "V-belt" in body and "24.00" in body and "Belt ordered" in body
    assert "Start timer" not in body and "Add a part" not in body and "Upload" not in body
    assert "Post comment" not in body
    response = client.post(url(site, "/comments"), data={"body": "When will it be done?"})
    assert response.status_code == 403
    assert Comment.select().count() == 1


# Every route that records work, with a valid post: (path, data)
CHANGES = [
    ("/timer/start", {}),
    ("/timer/stop", {}),
    ("/time", {"day": "2026-01-01", "duration": "1:00"}),
    ("/parts", {"description": "Belt", "quantity": "1", "unit_cost": "5"}),
    ("/completion-notes", {"completion_notes": "Done", "version": "1"}),
    ("/downtime", {"started_at": "2026-01-01T08:00", "ended_at": "2026-01-01T09:00"}),
    ("/files", {}),
]


@pytest.mark.parametrize("path, data", CHANGES)
def test_client_users_get_403_and_people_outside_get_404(client, auth, site, path, data):
    before = Activity.select().count()
    auth.login(site["client_user"])
    assert client.post(url(site, path), data=data).status_code == 403
    for who in ("outsider", "stranger"):
        auth.login(site[who])
        assert client.post(url(site, path), data=data).status_code == 404
    assert Activity.select().count() == before


@pytest.mark.parametrize("who", ["outsider", "stranger"])
def test_people_outside_cannot_comment_or_see_the_page(client, auth, site, who):
    auth.login(site[who])
    assert client.get(url(site)).status_code == 404
    assert client.post(url(site, "/comments"), data={"body": "hi"}).status_code == 404
    assert Comment.select().count() == 0


def test_timer_start_and_stop_swap_only_the_time_section(client, auth, site):
    auth.login(site["tech"])
    response = client.post(url(site, "/timer/start"), headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section class="card records" id="time_entries">')
    assert 'id="totals"' in body and 'hx-swap-oob="true"' in body
    assert response.headers["HX-Trigger"] == "timeline-changed"
    assert "Timer started." in body and "Stop timer" in body
    TimeEntry.update(started_at=utcnow() - datetime.timedelta(minutes=75)).execute()
    body = client.post(url(site, "/timer/stop"), headers=HX).get_data(as_text=True)
    assert "Timer stopped: 1:15 logged." in body and "1:15 <small>h</small>" in body


def test_starting_a_timer_elsewhere_stops_the_running_one_and_says_so(client, auth, site):
    other = WorkOrder.open_for(site["manager"], site["project"], [], title="Filters")
    auth.login(site["tech"])
    client.post(f"/work-orders/{other.id}/timer/start")
    body = client.get(url(site)).get_data(as_text=True)
    assert "Your timer runs on" in body and other.reference in body
    response = client.post(url(site, "/timer/start"), follow_redirects=True)
    assert f"Your timer on {other.reference} was stopped" in response.get_data(as_text=True)
    running = TimeEntry.get(TimeEntry.ended_at.is_null())
    assert running.work_order_id == site["order"].id


def test_without_javascript_a_post_redirects_back_to_the_section(client, auth, site):
    auth.login(site["tech"])
    response = client.post(
        url(site, "/time"), data={"day": today().isoformat(), "duration": "1.5", "note": "Belt"}
    )
    assert response.status_code == 302 and response.location.endswith(url(site, "#time_entries"))
    page = client.get(url(site)).get_data(as_text=True)
    assert "Time logged." in page and "1:30" in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"duration": "-1:00"}, "A duration cannot be negative."),
        ({"duration": "25:00"}, "One entry can be at most 24 hours"),
        ({"duration": "lots"}, "Write hours and minutes as 1:30"),
        ({"duration": ""}, "Enter how long"),
        ({"duration": "0"}, "Enter at least one minute."),
        ({"day": "2099-01-01"}, "Time cannot be logged for a day still to come."),
        ({"day": "yesterday"}, "Not a valid date value."),
    ],
)
def test_bad_durations_are_refused_at_the_field(client, auth, site, data, message):
    auth.login(site["tech"])
    form = {"day": today().isoformat(), "duration": "1:00", **data}
    for headers in ({}, HX):
        response = client.post(url(site, "/time"), data=form, headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 422
        assert re.search(
            r'class="field-error" id="(day|duration)-error">'
            + re.escape(message.replace("'", "&#39;")),
            body,
        )
    assert TimeEntry.select().count() == 0


def test_own_entries_are_edited_and_others_only_by_managers(client, auth, site):
    mine = TimeEntry.add_manual(site["tech"], site["order"], today(), 60, "", "Europe/London")
    theirs = TimeEntry.add_manual(site["mate"], site["order"], today(), 30, "", "Europe/London")
    auth.login(site["tech"])
    edit = client.get(url(site, f"/time/{mine.id}/edit"), headers=HX).get_data(as_text=True)
    assert 'name="edit-duration"' in edit and 'value="1:00"' in edit
    form = {"edit-day": today().isoformat(), "edit-duration": "2:15", "edit-note": "More"}
    assert client.post(url(site, f"/time/{mine.id}"), data=form).status_code == 302
    assert TimeEntry.get_by_id(mine.id).minutes == 135
    bad = client.post(url(site, f"/time/{mine.id}"), data={**form, "edit-duration": "30:00"})
    assert bad.status_code == 422 and "at most 24 hours" in bad.get_data(as_text=True)
    assert client.post(url(site, f"/time/{theirs.id}"), data=form).status_code == 403
    assert client.post(url(site, f"/time/{theirs.id}/delete")).status_code == 403
    assert client.get(url(site, f"/time/{theirs.id}/edit")).status_code == 403
    auth.login(site["manager"])
    assert client.post(url(site, f"/time/{theirs.id}/delete")).status_code == 302
    assert TimeEntry.select().count() == 1


def test_an_entry_of_another_order_is_not_found(client, auth, site):
    other = WorkOrder.open_for(site["manager"], site["project"], [], title="Other")
    entry = TimeEntry.add_manual(site["tech"], other, today(), 60, "", "Europe/London")
    auth.login(site["tech"])
    assert client.post(url(site, f"/time/{entry.id}/delete")).status_code == 404


@pytest.mark.parametrize(
    "data, message",
    [
        ({"quantity": "0"}, "The quantity must be more than zero."),
        ({"quantity": "-3"}, "The quantity must be more than zero."),
        ({"quantity": "many"}, "Not a valid decimal value."),
        ({"quantity": "NaN"}, "Enter a number."),
        ({"unit_cost": "-1"}, "The unit cost cannot be negative."),
        ({"unit_cost": ""}, "Enter the unit cost (0 if free)."),
        ({"description": "  "}, "Say which part."),
    ],
)
def test_bad_parts_are_refused_at_the_field(client, auth, site, data, message):
    auth.login(site["tech"])
    form = {"description": "V-belt", "quantity": "2", "unit_cost": "12.50", **data}
    response = client.post(url(site, "/parts"), data=form, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body
    assert body.lstrip().startswith('<section class="card records" id="parts">')
    assert PartUsed.select().count() == 0


def test_parts_add_up_and_lines_are_removed_by_their_owner(client, auth, site):
    auth.login(site["tech"])
    form = {"description": "V-belt", "quantity": "2", "unit_cost": "12.50"}
    body = client.post(url(site, "/parts"), data=form, headers=HX).get_data(as_text=True)
    assert "2 × 12.50 = 25.00" in body and "<dd>25.00</dd>" in body
    part = PartUsed.get()
    auth.login(site["mate"])
    assert client.post(url(site, f"/parts/{part.id}/delete")).status_code == 403
    auth.login(site["tech"])
    assert client.post(url(site, f"/parts/{part.id}/delete")).status_code == 302
    assert PartUsed.select().count() == 0
    assert Activity.select().where(Activity.kind == "part").count() == 2


def test_comments_are_escaped_and_mentions_highlighted(client, auth, site):
    auth.login(site["tech"])
    empty = client.post(url(site, "/comments"), data={"body": "   "}, headers=HX)
    assert empty.status_code == 422 and "Write something first." in empty.get_data(as_text=True)
    text = "<script>alert(1)</script> @Mia Manager please order a belt, cc @carl"
    response = client.post(url(site, "/comments"), data={"body": text}, headers=HX)
    body = response.get_data(as_text=True)
    assert "Mentioned Mia Manager, Carl Client." in body
    assert "<script>alert" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert '<mark class="mention">@Mia Manager</mark>' in body
    assert {m.user_id for m in Mention.select()} == {site["manager"].id, site["client_user"].id}
    timeline = client.get(url(site, "/activity"), headers=HX).get_data(as_text=True)
    assert '<mark class="mention">@carl</mark>' in timeline and "<script>alert" not in timeline
    assert "<strong>Tom Tech</strong>" in timeline  # who wrote it, not "Fettle"


def test_files_wrong_type_refused_images_thumbnailed_and_served_by_visibility(client, auth, site):
    auth.login(site["tech"])
    bad = client.post(
        url(site, "/files"),
        headers=HX,
        content_type="multipart/form-data",
        data={"files": (io.BytesIO(b"MZ\x90\x00 not an image"), "cat.jpg")},
    )
    assert bad.status_code == 422 and "cat is not a photo or a PDF" in bad.get_data(as_text=True)
    none = client.post(url(site, "/files"), headers=HX, content_type="multipart/form-data")
    assert none.status_code == 422 and "Choose a photo" in none.get_data(as_text=True)
    ok = client.post(
        url(site, "/files"),
        headers=HX,
        content_type="multipart/form-data",
        data={"camera": (io.BytesIO(png_bytes()), "IMG_0001.png")},
    )
    body = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "Uploaded IMG_0001.png." in body
    row = WorkOrderFile.get()
    thumb = url(site, f"/files/{row.id}/thumbnail")
    assert f'src="{thumb}"' in body
    assert client.get(thumb).headers["Content-Type"] == "image/jpeg"
    original = client.get(url(site, f"/files/{row.id}/IMG_0001.png"))
    assert original.data == png_bytes() and "sandbox" in original.headers["Content-Security-Policy"]
    auth.login(site["client_user"])  # sees the order, so sees its photos
    assert client.get(thumb).status_code == 200
    assert client.post(url(site, f"/files/{row.id}/delete")).status_code == 403
    for who in ("outsider", "stranger"):
        auth.login(site[who])
        assert client.get(thumb).status_code == 404
        assert client.get(url(site, f"/files/{row.id}/IMG_0001.png")).status_code == 404


def test_completion_notes_keep_a_change_made_meanwhile(client, auth, site):
    auth.login(site["tech"])
    order = site["order"]
    form = {"completion_notes": "Replaced belt", "version": str(order.version)}
    assert client.post(url(site, "/completion-notes"), data=form).status_code == 302
    assert WorkOrder.get_by_id(order.id).completion_notes == "Replaced belt"
    stale = client.post(
        url(site, "/completion-notes"),
        headers=HX,
        data={"completion_notes": "Mine", "version": str(order.version)},
    )
    body = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "changed by Tom Tech meanwhile" in body
    assert "Replaced belt" in body and "Mine</textarea>" in body
    assert WorkOrder.get_by_id(order.id).completion_notes == "Replaced belt"


def test_downtime_is_typed_in_site_time_and_checked(client, auth, site):
    auth.login(site["tech"])
    bad = client.post(
        url(site, "/downtime"),
        headers=HX,
        data={"started_at": "2026-03-02T10:00", "ended_at": "2026-03-02T09:00"},
    )
    assert bad.status_code == 422 and "The end must be after the start." in bad.get_data(
        as_text=True
    )
    ok = client.post(
        url(site, "/downtime"),
        headers=HX,
        data={"started_at": "2026-07-02T08:00", "ended_at": "2026-07-02T10:30", "note": "Belt off"},
    )
    assert ok.status_code == 200 and "2:30 <small>h</small>" in ok.get_data(as_text=True)
    period = Downtime.get()
    assert period.started_at == datetime.datetime(2026, 7, 2, 7, 0)  # BST
    assert period.asset_id == site["asset"].id and period.minutes == 150


def test_a_cancelled_order_takes_comments_but_no_more_records(client, auth, site):
    site["order"].transition(site["manager"], "cancelled", "open", "Not needed")
    auth.login(site["tech"])
    form = {"description": "Belt", "quantity": "1", "unit_cost": "5"}
    response = client.post(url(site, "/parts"), data=form, headers=HX)
    assert response.status_code == 409 and "can no longer change" in response.get_data(as_text=True)
    page = client.get(url(site)).get_data(as_text=True)
    assert "Add a part" not in page and "Post comment" in page
    assert client.post(url(site, "/comments"), data={"body": "ok"}).status_code == 302


def _fill(site, n, offset=0):
    tech, order = site["tech"], site["order"]
    for i in range(n):
        TimeEntry.add_manual(tech, order, today(), 10 + i, f"n{i}", "Europe/London")
        PartUsed.add(tech, order, f"Part {i}", 1, 2)
        Comment.post(tech, order, f"Note {i} for @Mia Manager")
        start = datetime.datetime(2026, 1, 1) + datetime.timedelta(hours=2 * (i + offset))
        Downtime.record(tech, order, start, start + datetime.timedelta(hours=1), "", "UTC")


def test_the_order_page_query_count_stays_constant_as_records_grow(client, auth, site, tmp_path):
    auth.login(site["tech"])
    _fill(site, 1)
    client.get(url(site))  # warm caches (session user, etc.)
    with count_queries() as few:
        assert client.get(url(site)).status_code == 200
    _fill(site, 15, offset=1)
    with count_queries() as many:
        body = client.get(url(site)).get_data(as_text=True)
    assert "Part 14" in body and "Note 14" in body
    assert many.count == few.count, (few.count, many.count)


def test_a_manager_stops_a_forgotten_timer_and_a_colleague_cannot(client, auth, site):
    TimeEntry.start(site["tech"], site["order"])
    TimeEntry.update(started_at=utcnow() - datetime.timedelta(minutes=30)).execute()
    auth.login(site["mate"])
    stop = {"user_id": str(site["tech"].id)}
    assert client.post(url(site, "/timer/stop"), data=stop).status_code == 403
    mine = client.post(url(site, "/timer/stop"), headers=HX)
    assert mine.status_code == 422 and "Your timer is not running" in mine.get_data(as_text=True)
    auth.login(site["manager"])
    body = client.get(url(site)).get_data(as_text=True)
    assert 'name="user_id"' in body  # a Stop button on Tom's running line
    response = client.post(url(site, "/timer/stop"), data=stop, headers=HX)
    assert "Timer stopped: 0:30 logged." in response.get_data(as_text=True)
    assert TimeEntry.get().minutes == 30
