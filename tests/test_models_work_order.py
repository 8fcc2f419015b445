"""Work orders at the model level: numbers, the lifecycle, optimistic locking, teams."""

import itertools
import threading

import pytest

from models import Activity, Asset, AuditEvent, WorkOrder, db
from models.work_order import STATUSES, TRANSITIONS, StaleError, TransitionError


@pytest.fixture
def team(make_project, make_user, make_asset):
    project = make_project()
    org = project.organisation_id
    tech = make_user("technician", organisation=org, projects=[project], name="Tina Tech")
    manager = make_user("manager", organisation=org, name="Manny Manager")
    asset = make_asset(project=project)
    return project, tech, manager, asset


def new_order(team, **kw):
    project, tech, manager, asset = team
    return WorkOrder.open_for(manager, project, title="Replace belt", asset=asset, **kw)


def test_numbers_are_sequential_per_organisation(team, make_project, make_user):
    first, second = new_order(team), new_order(team)
    assert (first.number, second.number) == (1, 2)
    assert second.reference == "WO-000002"
    other = make_project()
    other_manager = make_user("manager", organisation=other.organisation_id)
    assert WorkOrder.open_for(other_manager, other, title="x").number == 1


def test_numbers_under_concurrent_creation_have_no_gaps_or_clashes(team):
    project, _tech, manager, _asset = team
    errors, per_thread, threads = [], 8, 6

    def worker():
        try:
            for _ in range(per_thread):
                with db.connection_context():
                    WorkOrder.open_for(manager, project, title="Concurrent")
        except Exception as exc:  # reported below: a thread must not die silently
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert not errors
    numbers = sorted(n for (n,) in WorkOrder.select(WorkOrder.number).tuples())
    assert numbers == list(range(1, per_thread * threads + 1))


def test_a_failed_create_gives_its_number_back(team, make_user):
    project, _tech, manager, _asset = team
    outsider = make_user("technician", organisation=project.organisation_id, name="Olly")
    with pytest.raises(TransitionError, match="Olly is not on this project's team"):
        WorkOrder.open_for(manager, project, title="x", assignees=[outsider])
    assert WorkOrder.select().count() == 0
    assert new_order(team).number == 1


def reach(order, status, manager):
    """Walk an order to `status` along allowed moves."""
    path = {
        "open": [],
        "in_progress": ["in_progress"],
        "on_hold": ["on_hold"],
        "completed": ["in_progress", "completed"],
        "closed": ["in_progress", "completed", "closed"],
        "cancelled": ["cancelled"],
    }
    for step in path[status]:
        order.transition(manager, step, order.status, reason="because")
    return order


@pytest.mark.parametrize("start,to", list(itertools.product(STATUSES, STATUSES)))
def test_every_transition_is_allowed_or_refused(team, start, to):
    _project, tech, manager, _asset = team
    order = reach(new_order(team), start, manager)
    rule = TRANSITIONS[start].get(to)
    if rule is None:
        with pytest.raises(TransitionError):
            order.transition(manager, to, start, reason="because")
        assert WorkOrder.get_by_id(order.id).status == start
        return
    if rule == "manager":
        with pytest.raises(TransitionError, match="Only a manager"):
            order.transition(tech, to, start, reason="because")
    order.transition(tech if rule == "worker" else manager, to, start, reason="because")
    assert WorkOrder.get_by_id(order.id).status == to


def test_reasons_are_required_for_hold_and_cancel(team):
    _project, tech, manager, _asset = team
    order = new_order(team)
    with pytest.raises(TransitionError, match="reason"):
        order.transition(tech, "on_hold", "open", reason="  ")
    order.transition(tech, "on_hold", "open", reason="Waiting for parts")
    assert WorkOrder.get_by_id(order.id).status_reason == "Waiting for parts"


def test_a_transition_posted_twice_applies_once(team):
    _project, tech, _manager, _asset = team
    order = new_order(team)
    order.transition(tech, "in_progress", "open")
    stale = WorkOrder.get_by_id(order.id)
    with pytest.raises(TransitionError, match="already in progress"):
        stale.transition(tech, "in_progress", "open")
    assert Activity.select().where(Activity.kind == "status").count() == 1


def test_asset_down_until_completed(team):
    _project, tech, _manager, asset = team
    order = new_order(team, asset_down=True)
    assert Asset.get_by_id(asset.id).status == "down"
    order.transition(tech, "in_progress", "open")
    order.transition(tech, "completed", "in_progress")
    assert Asset.get_by_id(asset.id).status == "operational"
    assert WorkOrder.get_by_id(order.id).completed_by_id == tech.id


def test_optimistic_locking_names_who_changed_what(team):
    _project, tech, manager, _asset = team
    order = new_order(team)
    mine, theirs = WorkOrder.get_by_id(order.id), WorkOrder.get_by_id(order.id)
    theirs.save_changes(manager, theirs.version, priority="urgent")
    with pytest.raises(StaleError) as error:
        mine.save_changes(tech, mine.version, title="Replace both belts")
    assert error.value.changed_by == "Manny Manager"
    assert error.value.changes == {"priority": ["medium", "urgent"]}
    assert WorkOrder.get_by_id(order.id).title == "Replace belt"  # nothing lost or overwritten
    fresh = WorkOrder.get_by_id(order.id)
    assert fresh.save_changes(tech, fresh.version, title="Replace both belts")
    assert AuditEvent.select().where(AuditEvent.entity_type == "workorder").count() == 3
