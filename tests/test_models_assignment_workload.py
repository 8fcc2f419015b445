"""Each assignment's copies of its order's open flag, and while it is open its due date and
estimate (migration 0021), are kept right by the database through every way orders and
assignments change, and the board by technician sums the same numbers from them as from the
orders themselves."""

import datetime
from decimal import Decimal

import pytest
from flask_login import login_user

from models import Assignment, WorkOrder, dispatch, utcnow, workload
from models.work_order import OPEN_STATUSES
from views.work_orders import board


@pytest.fixture
def team(make_project, make_user):
    project = make_project()
    org = project.organisation_id
    return {
        "project": project,
        "manager": make_user("manager", organisation=org, name="Dee"),
        "ann": make_user("technician", organisation=org, projects=[project], name="Ann"),
        "bob": make_user("technician", organisation=org, projects=[project], name="Bob"),
    }


def order_for(team, assignees=(), **data):
    return WorkOrder.open_for(
        team["manager"], team["project"], list(assignees), **{"title": "Job", **data}
    )


def copies(order):
    """The assignment rows' copies, as stored."""
    return [
        (a.is_open, a.open_due_at, a.open_hours)
        for a in Assignment.select().where(Assignment.work_order == order.id)
    ]


def assert_follow(order, how_many):
    """Every assignment of the order holds the order's values as they are now (no due date
    or estimate once it is finished)."""
    fresh = WorkOrder.get_by_id(order.id)
    hours = None if fresh.estimated_hours is None else Decimal(fresh.estimated_hours)
    is_open = fresh.status in OPEN_STATUSES
    want = (is_open, fresh.due_at, hours) if is_open else (False, None, None)
    got = [(is_open, due, None if h is None else Decimal(h)) for is_open, due, h in copies(order)]
    assert got == [want] * how_many


def test_an_assignment_takes_its_orders_values_however_it_is_made(team):
    due = datetime.datetime(2030, 5, 1, 9, 30)
    created = order_for(team, [team["ann"], team["bob"]], due_at=due, estimated_hours=2.5)
    assert_follow(created, 2)
    assert copies(created)[0] == (True, due, Decimal("2.5"))
    later = order_for(team, due_at=due, estimated_hours=4)
    later.set_assignees(team["manager"], [team["ann"]])
    assert_follow(later, 1)
    dispatch.assign(team["manager"], [later], team["bob"])
    assert_follow(later, 2)
    bare = order_for(team)
    Assignment.insert_many(  # as PM generation and the bench generator insert them
        [{"organisation": bare.organisation_id, "work_order": bare.id, "user": team["ann"].id}]
    ).execute()
    assert_follow(bare, 1)
    assert copies(bare) == [(True, None, None)]


def test_the_copies_follow_every_status_change(team):
    order = order_for(team, [team["ann"], team["bob"]], due_at=utcnow(), estimated_hours=1)
    manager = team["manager"]
    for to in ("in_progress", "on_hold", "in_progress", "completed", "in_progress", "cancelled"):
        order.transition(manager, to, order.status, reason="Because")
        assert_follow(order, 2)
    assert copies(order)[0][0] is False
    closed = order_for(team, [team["ann"]])
    closed.transition(manager, "in_progress", "open")
    closed.transition(manager, "completed", "in_progress")
    closed.transition(manager, "closed", "completed")
    assert_follow(closed, 1)
    assert copies(closed)[0][0] is False


def test_the_copies_follow_edits_reschedules_and_bulk_updates(team):
    due = datetime.datetime(2030, 5, 1, 9, 30)
    order = order_for(team, [team["ann"]], due_at=due, estimated_hours=3)
    other = order_for(team, [team["bob"]], due_at=due)
    order.save_changes(team["manager"], order.version, due_at=due + datetime.timedelta(days=1))
    assert_follow(order, 1)
    order.save_changes(team["manager"], order.version, estimated_hours=Decimal("7.25"))
    assert_follow(order, 1)
    order.save_changes(team["manager"], order.version, estimated_hours=None, due_at=None)
    assert copies(order) == [(True, None, None)]
    dispatch.reschedule(team["manager"], [WorkOrder.get_by_id(other.id)], 3)
    assert copies(other) == [(True, due + datetime.timedelta(days=3), None)]
    WorkOrder.update(due_at=due, estimated_hours=5, status="completed").where(
        WorkOrder.id.in_([order.id, other.id])
    ).execute()
    assert_follow(order, 1)
    assert copies(other) == [(False, None, None)]
    later = due + datetime.timedelta(days=9)
    WorkOrder.update(due_at=later).where(WorkOrder.id == other.id).execute()  # finished: no copy
    assert copies(other) == [(False, None, None)]
    WorkOrder.update(status="open").where(WorkOrder.id == other.id).execute()
    assert copies(other) == [(True, later, Decimal(5))]


def test_an_assignment_moved_or_saved_again_takes_its_orders_values(team):
    first = order_for(team, [team["ann"]], due_at=datetime.datetime(2030, 1, 1), estimated_hours=1)
    second = order_for(team, due_at=datetime.datetime(2031, 1, 1), estimated_hours=2)
    row = Assignment.get(Assignment.work_order == first.id)
    Assignment.update(work_order=second.id).where(Assignment.id == row.id).execute()
    assert_follow(second, 1)
    row.open_due_at, row.is_open = datetime.datetime(1999, 1, 1), False  # stale copies...
    row.save()  # ...written back with the order id, as Model.save() writes every field
    assert_follow(first, 1)


def test_deleting_an_order_deletes_its_assignments(team):
    order = order_for(team, [team["ann"], team["bob"]])
    order.delete_instance()
    assert Assignment.select().count() == 0


def reference_load(org_id, tz_name, now):
    """Each active technician's load, computed in Python from the orders themselves."""
    from models import User
    from models.clock import zone

    tz = zone(tz_name)
    today = datetime.datetime.now(tz).date()
    people = User.select().where(
        User.organisation == org_id, User.role == "technician", User.active
    )
    load = {u.id: {"name": u.name, "overdue": [0, 0.0], "none": [0, 0.0]} for u in people}
    for person in load.values():
        person["days"] = [[0, 0.0] for _ in range(board.DAYS_AHEAD)]
    pairs = Assignment.select(Assignment.user, Assignment.work_order).tuples()
    orders = {o.id: o for o in WorkOrder.select()}
    for user_id, order_id in pairs:
        order = orders[order_id]
        if user_id not in load or order.organisation_id != org_id or not order.is_open:
            continue
        hours = float(order.estimated_hours or 0)
        if order.due_at is None:
            cell = load[user_id]["none"]
        elif order.due_at < now:
            cell = load[user_id]["overdue"]
        else:
            local = order.due_at.replace(tzinfo=datetime.UTC).astimezone(tz).date()
            if (local - today).days >= board.DAYS_AHEAD:
                continue
            cell = load[user_id]["days"][(local - today).days]
        cell[0] += 1
        cell[1] += hours
    return sorted(load.values(), key=lambda p: p["name"])


def test_the_board_sums_from_assignments_what_the_orders_say(
    app, team, make_project, make_user, monkeypatch
):
    """An admin's sums (from the assignment rows) equal the join's through visible() and a
    reference in plain Python, over orders of every kind, in and out of the organisation."""
    now = utcnow()
    org = team["project"].organisation_id
    admin = make_user("admin", organisation=org, timezone="Australia/Sydney")
    ann, bob = team["ann"], team["bob"]
    make_user("technician", organisation=org, name="Idle Ivy")
    make_user("technician", organisation=org, projects=[team["project"]], active=False)
    day = datetime.timedelta(days=1)
    for offset, hours, people in (
        (-3 * day, 2, [ann, bob]),
        (-datetime.timedelta(hours=2), None, [ann]),
        (datetime.timedelta(hours=3), 1.5, [bob]),
        (2 * day, 4, [ann]),
        (5 * day, 0.25, [ann, bob]),
        (6 * day + datetime.timedelta(hours=20), 8, [bob]),  # the week's last day, or after
        (30 * day, 1, [ann]),
        (None, 3, [ann]),
        (None, None, [bob]),
    ):
        order_for(team, people, due_at=None if offset is None else now + offset,
                  estimated_hours=hours)  # fmt: skip
    order_for(team, [ann], due_at=now - day, estimated_hours=5).transition(
        team["manager"], "cancelled", "open", reason="Duplicate"
    )
    paused = order_for(team, [bob], due_at=now - day, estimated_hours=6)
    paused.transition(team["manager"], "on_hold", "open", reason="Parts")
    outsider_project = make_project()
    stranger = make_user("technician", projects=[outsider_project])
    WorkOrder.open_for(stranger, outsider_project, [stranger], title="Elsewhere", due_at=now)
    # visible() would hide archived orders: the assignment rows would need that flag too.
    assert not hasattr(WorkOrder, "archived_at")

    with app.test_request_context():
        login_user(admin)
        days, from_assignments = board._workload()
        monkeypatch.setattr(workload, "sees_whole_organisation", lambda user: False)
        _, through_orders = board._workload()
    expected = reference_load(org, "Australia/Sydney", now)
    assert len(days) == board.DAYS_AHEAD
    assert from_assignments == through_orders == expected
    assert [p["name"] for p in expected] == ["Ann", "Bob", "Idle Ivy"]
    assert expected[0]["overdue"] == [2, 2.0] and expected[1]["overdue"] == [2, 8.0]
