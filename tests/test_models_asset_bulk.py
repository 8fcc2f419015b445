"""Bulk changes to assets: status, move with components, archive."""

import pytest

from models import Asset, AuditEvent, Document, Meter
from models.asset_bulk import BulkError, archive, move, move_plan, set_status


@pytest.fixture
def tree(make_project, make_asset, make_user):
    project = make_project()
    chiller = make_asset(project=project, tag="CH-1")
    compressor = make_asset(project=project, tag="CH-1A", parent=chiller)
    motor = make_asset(project=project, tag="CH-1A-M", parent=compressor)
    lone = make_asset(project=project, tag="AHU-1")
    user = make_user("admin", organisation=project.organisation_id)
    return project, chiller, compressor, motor, lone, user


def test_set_status_changes_only_the_selection(tree):
    _p, chiller, compressor, _m, lone, user = tree
    assert set_status(user, {chiller.id, lone.id}, "down") == 2
    assert Asset.get_by_id(chiller.id).status == "down"
    assert Asset.get_by_id(compressor.id).status == "operational"
    assert AuditEvent.select().where(AuditEvent.action == "update").count() == 2
    with pytest.raises(BulkError):
        set_status(user, {lone.id}, "exploded")


def test_move_takes_components_along_and_detaches_orphans(tree, make_project):
    project, chiller, compressor, motor, lone, user = tree
    target = make_project()
    Meter.create_for(user, motor, name="Runtime", unit="h")
    assert move(user, {chiller.id}, target) == 3
    for asset in (chiller, compressor, motor):
        moved = Asset.get_by_id(asset.id)
        assert (moved.project_id, moved.client_id, moved.location_id) == (
            target.id,
            target.client_id,
            target.location_id,
        )
    assert Asset.get_by_id(compressor.id).parent_id == chiller.id
    assert Meter.get(Meter.asset == motor.id).project_id == target.id
    # A component moved without its parent no longer hangs under it.
    everything, detached = move_plan({motor.id})
    assert everything == {motor.id} and detached == {motor.id}
    move(user, {motor.id}, project)
    assert Asset.get_by_id(motor.id).parent_id is None
    assert Asset.get_by_id(lone.id).project_id == project.id
    assert Document.select().count() == 0


def test_archive_takes_components_and_is_idempotent(tree):
    _p, chiller, _c, motor, lone, user = tree
    assert archive(user, {chiller.id}) == 3
    assert Asset.get_by_id(motor.id).archived_at is not None
    assert Asset.get_by_id(lone.id).archived_at is None
    assert archive(user, {chiller.id}) == 0
