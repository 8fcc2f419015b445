"""Recording the work, model layer: durations, timer rules, parts, downtime, mentions, files,
totals by SQL, and the timeline and audit rows every change leaves."""

import datetime
import decimal
import io

import pytest
from playhouse.test_utils import assert_query_count

from models import (
    Activity,
    AuditEvent,
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
from models.comment import find_mentions, highlight_mentions
from models.document import UploadError
from models.storage import LocalStorage
from models.time_entry import parse_duration
from models.work_order import TransitionError
from models.work_order_records import LockedError, RecordError, totals

D = decimal.Decimal


@pytest.fixture
def setup(make_org, make_location, make_client, make_project, make_asset, make_user):
    org = make_org()
    site = make_location(org, timezone="Europe/London")
    client = make_client(site)
    project = make_project(client)
    asset = make_asset(project, tag="AHU-01")
    tech = make_user(
        "technician",
        organisation=org,
        projects=[project],
        name="Tom Becker",
        email="tom.b@example.com",
    )
    manager = make_user("manager", organisation=org, name="Maria Santos", email="maria@example.com")
    order = WorkOrder.open_for(manager, project, [tech], title="Belt", asset=asset)
    other = WorkOrder.open_for(manager, project, [tech], title="Filter", asset=asset)
    return {
        "org": org,
        "project": project,
        "client": client,
        "site": site,
        "asset": asset,
        "tech": tech,
        "manager": manager,
        "order": order,
        "other": other,
    }


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("1:30", 90),
        ("0:05", 5),
        ("1.5", 90),
        ("1,25", 75),
        ("2", 120),
        ("2h", 120),
        ("45m", 45),
        ("1h 30m", 90),
        ("1h30", None),
        ("24:00", 1440),
        (" 0.25 ", 15),
    ],
)
def test_durations_people_type(text, minutes):
    if minutes is None:
        with pytest.raises(RecordError):
            parse_duration(text)
    else:
        assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Enter how long"),
        ("-1:00", "cannot be negative"),
        ("0:00", "at least one minute"),
        ("24:01", "at most 24 hours"),
        ("25", "at most 24 hours"),
        ("lots", "Write hours"),
        ("1:75", "Write hours"),
    ],
)
def test_bad_durations_are_refused_with_a_message(text, message):
    with pytest.raises(RecordError) as caught:
        parse_duration(text)
    assert message in str(caught.value) and caught.value.field == "duration"


def test_one_running_timer_per_person_and_starting_elsewhere_stops_it(setup):
    tech, order, other = setup["tech"], setup["order"], setup["other"]
    entry, stopped = TimeEntry.start(tech, order)
    assert stopped is None and entry.running
    with pytest.raises(RecordError, match="already running on this order"):
        TimeEntry.start(tech, order)
    TimeEntry.update(started_at=utcnow() - datetime.timedelta(minutes=50)).where(
        TimeEntry.id == entry.id
    ).execute()
    _second, stopped = TimeEntry.start(tech, other)
    assert stopped.id == order.id
    first = TimeEntry.get_by_id(entry.id)
    assert first.minutes == 50 and first.ended_at is not None
    assert TimeEntry.select().where(TimeEntry.ended_at.is_null()).count() == 1
    assert (
        Activity.select()
        .where(Activity.work_order == order.id, Activity.body == "Logged 0:50 by the timer")
        .exists()
    )
    assert (
        Activity.select()
        .where(Activity.work_order == other.id, Activity.body.contains(order.reference))
        .exists()
    )


def test_the_database_refuses_a_second_running_timer(setup):
    from peewee import IntegrityError

    from models import db

    TimeEntry.start(setup["tech"], setup["order"])
    with pytest.raises(IntegrityError), db.atomic():
        TimeEntry.create(
            organisation=setup["org"],
            work_order=setup["other"],
            user=setup["tech"],
            source="timer",
            started_at=utcnow(),
        )


def test_a_timer_stopped_within_a_minute_logs_nothing_and_a_forgotten_one_is_capped(setup):
    tech, order = setup["tech"], setup["order"]
    TimeEntry.start(tech, order)
    assert TimeEntry.stop(tech, order) is None
    assert TimeEntry.select().count() == 0
    entry, _ = TimeEntry.start(tech, order)
    TimeEntry.update(started_at=utcnow() - datetime.timedelta(hours=30)).where(
        TimeEntry.id == entry.id
    ).execute()
    stopped = TimeEntry.stop(tech, order)
    assert stopped.minutes == 24 * 60 and stopped.capped
    with pytest.raises(RecordError, match="not running"):
        TimeEntry.stop(tech, order)


def test_a_running_timer_blocks_completion(setup):
    tech, order = setup["tech"], setup["order"]
    order.transition(tech, "in_progress", "open")
    TimeEntry.start(tech, order)
    with pytest.raises(TransitionError, match="Stop the timer of Tom Becker"):
        order.transition(tech, "completed", "in_progress")
    TimeEntry.update(started_at=utcnow() - datetime.timedelta(minutes=5)).execute()
    TimeEntry.stop(tech, order)
    order.transition(tech, "completed", "in_progress")
    with pytest.raises(RecordError, match="Timers run on open work"):
        TimeEntry.start(tech, order)


def test_manual_entries_land_on_the_site_day_and_are_checked(setup):
    tech, order = setup["tech"], setup["order"]
    today = utc_to_local(utcnow(), "Europe/London").date()
    entry = TimeEntry.add_manual(tech, order, today, 90, "Belt change", "Europe/London")
    assert entry.local_day("Europe/London") == today and entry.minutes == 90
    assert entry.ended_at - entry.started_at == datetime.timedelta(minutes=90)
    with pytest.raises(RecordError, match="still to come") as caught:
        TimeEntry.add_manual(
            tech, order, today + datetime.timedelta(days=2), 30, "", "Europe/London"
        )
    assert caught.value.field == "day"
    yesterday = today - datetime.timedelta(days=1)
    assert entry.change(tech, order, yesterday, 45, "Shorter", "Europe/London")
    entry = TimeEntry.get_by_id(entry.id)
    assert entry.local_day("Europe/London") == yesterday and entry.minutes == 45
    assert AuditEvent.select().where(AuditEvent.action == "time_update").count() == 1


def test_closed_orders_take_no_more_records_but_still_comments(setup):
    manager, order = setup["manager"], setup["order"]
    order.transition(manager, "cancelled", "open", "Client cancelled")
    with pytest.raises(LockedError):
        PartUsed.add(manager, order, "Belt", D("1"), D("10"))
    with pytest.raises(LockedError):
        TimeEntry.add_manual(manager, order, datetime.date.today(), 30, "", "UTC")
    Comment.post(manager, order, "Cancelled by phone")
    assert PartUsed.select().count() == 0 and Comment.select().count() == 1


@pytest.mark.parametrize(
    "quantity, cost, field",
    [
        (D("0"), D("1"), "quantity"),
        (D("-2"), D("1"), "quantity"),
        (D("1"), D("-0.01"), "unit_cost"),
        (D("1e7"), D("1"), "quantity"),
        (D("NaN"), D("1"), "quantity"),
        (D("1"), D("1.234"), "unit_cost"),
        (D("Infinity"), D("1"), "quantity"),
    ],
)
def test_part_quantities_and_costs_are_checked(setup, quantity, cost, field):
    with pytest.raises(RecordError) as caught:
        PartUsed.add(setup["tech"], setup["order"], "Belt", quantity, cost)
    assert caught.value.field == field
    assert PartUsed.select().count() == 0


def test_totals_are_summed_by_the_database_in_one_query(setup):
    tech, order, other = setup["tech"], setup["order"], setup["other"]
    day = utc_to_local(utcnow(), "Europe/London").date()
    TimeEntry.add_manual(tech, order, day, 90, "", "Europe/London")
    TimeEntry.add_manual(setup["manager"], order, day, 45, "", "Europe/London")
    TimeEntry.add_manual(tech, other, day, 600, "", "Europe/London")  # another order
    PartUsed.add(tech, order, "V-belt", D("2"), D("12.50"))
    PartUsed.add(tech, order, "Grease", D("0.333"), D("3.00"))
    PartUsed.add(tech, other, "Filter", D("10"), D("100"))
    start = datetime.datetime.now().replace(microsecond=0, second=0) - datetime.timedelta(days=2)
    Downtime.record(tech, order, start, start + datetime.timedelta(hours=3), "", "UTC")
    with assert_query_count(1):
        result = totals(order)
    assert result.labour_minutes == 135 and result.labour == "2:15"
    assert result.parts_cost == D("26.00")  # 25.00 + 0.999
    assert result.downtime_minutes == 180
    empty = totals(WorkOrder.open_for(setup["manager"], setup["project"], [], title="New"))
    assert (empty.labour_minutes, empty.parts_cost, empty.downtime_minutes) == (0, D("0.00"), 0)


def test_downtime_is_checked_and_summed_per_asset(setup):
    tech, order, other = setup["tech"], setup["order"], setup["other"]
    base = datetime.datetime(2026, 3, 1, 8, 0)
    Downtime.record(tech, order, base, base + datetime.timedelta(hours=2), "Belt", "UTC")
    with pytest.raises(RecordError, match="overlaps"):
        Downtime.record(
            tech,
            order,
            base + datetime.timedelta(hours=1),
            base + datetime.timedelta(hours=3),
            "",
            "UTC",
        )
    with pytest.raises(RecordError, match="after the start") as caught:
        Downtime.record(tech, order, base, base, "", "UTC")
    assert caught.value.field == "ended_at"
    future = datetime.datetime.now() + datetime.timedelta(days=1)
    with pytest.raises(RecordError, match="in the future"):
        Downtime.record(tech, order, base, future, "", "UTC")
    Downtime.record(tech, other, base, base + datetime.timedelta(minutes=30), "", "UTC")
    assert Downtime.minutes_by_asset([setup["asset"].id]) == {setup["asset"].id: 150}
    # Local site time: 08:00 in London in July is 07:00 UTC
    summer = datetime.datetime(2026, 7, 1, 8, 0)
    period = Downtime.record(
        tech, order, summer, summer + datetime.timedelta(hours=1), "", "Europe/London"
    )
    assert period.started_at == datetime.datetime(2026, 7, 1, 7, 0)


class Person:
    def __init__(self, id, name, email):
        self.id, self.name, self.email = id, name, email


PEOPLE = [
    Person(1, "Tom Becker", "tom.b@example.com"),
    Person(2, "Tom", "thomas@example.com"),
    Person(3, "Priya Nair", "priya@example.com"),
    Person(4, "Sam Okafor", "sam@x.com"),
    Person(5, "Sam Okafor", "sam.o@y.com"),
]


@pytest.mark.parametrize(
    "text, ids",
    [
        ("@Tom Becker please check", [1]),
        ("@tom becker.", [1]),
        ("@Tom, are you on it?", [2]),
        ("ask @priya and @Priya Nair", [3, 3]),
        ("mail priya@example.com", []),
        ("@tom.b can you?", [1]),
        ("@Tom Beckers", [2]),
        ("@nobody here", []),
        ("@Sam Okafor is ambiguous", []),
        ("@sam.o", [5]),
        ("@@Tom", []),
    ],
)
def test_mentions_by_full_name_or_email_prefix(text, ids):
    assert [user_id for user_id, _s, _e in find_mentions(text, PEOPLE)] == ids


def test_highlighting_escapes_everything_else():
    html = str(highlight_mentions("<b>hi</b> @Priya Nair & co", PEOPLE))
    assert html == ('&lt;b&gt;hi&lt;/b&gt; <mark class="mention">@Priya Nair</mark> &amp; co')


def test_comment_mentions_only_people_who_see_the_order(
    setup, make_user, make_project, make_client
):
    org, order, tech, manager = setup["org"], setup["order"], setup["tech"], setup["manager"]
    elsewhere = make_project(make_client(setup["site"]))
    outsider = make_user(
        "technician", organisation=org, projects=[elsewhere], name="Olga", email="olga@example.com"
    )
    client_user = make_user(
        "client", organisation=org, client=setup["client"], name="Carl", email="carl@example.com"
    )
    with pytest.raises(RecordError, match="Write something"):
        Comment.post(tech, order, "   ")
    comment, mentioned = Comment.post(
        tech, order, "@Maria Santos and @carl: belt done. @olga? @tom.b (me)"
    )
    assert {p.id for p in mentioned} == {manager.id, client_user.id}
    assert {m.user_id for m in Mention.select()} == {manager.id, client_user.id}
    assert outsider.id not in {m.user_id for m in Mention.select()}
    activity = Activity.get(Activity.kind == "comment")
    assert activity.body == comment.body and comment.activity_id == activity.id
    assert AuditEvent.select().where(AuditEvent.action == "comment").count() == 1
    found = Comment.mentioned_by_activity([activity.id])
    assert {u.name for u in found[activity.id]} == {"Maria Santos", "Carl"}


def _png():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG")
    return out.getvalue()


def test_files_are_judged_by_content_and_nothing_half_saved(setup, tmp_path):
    storage = LocalStorage(tmp_path)
    tech, order = setup["tech"], setup["order"]
    with pytest.raises(UploadError, match="not a photo or a PDF"):
        WorkOrderFile.upload(
            tech, order, storage, [(_png(), "ok.png"), (b"MZ\x90\x00binary", "photo.jpg")]
        )
    assert WorkOrderFile.select().count() == 0
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    rows = WorkOrderFile.upload(
        tech, order, storage, [(_png(), "../../etc/pump photo.png"), (b"%PDF-1.4 x", "r.pdf")]
    )
    assert [r.filename for r in rows] == ["pump photo.png", "r.pdf"]
    assert rows[0].thumbnail_key and rows[1].thumbnail_key is None
    assert storage.get(rows[0].storage_key) == _png()
    line = Activity.get(Activity.kind == "upload")
    assert line.body == "Uploaded pump photo.png, r.pdf"
    rows[0].remove(tech, order, storage)
    assert WorkOrderFile.select().count() == 1
    assert not (tmp_path / rows[0].storage_key).exists()
