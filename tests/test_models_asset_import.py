"""Applying a CSV import set-based: only changed assets and columns are written, each change
is audited with its old and new values, and the search index follows."""

import datetime
import json

import pytest

from models import Asset, AuditEvent, Meter, Project
from models.asset_io import apply, preview
from models.visibility import visible


@pytest.fixture
def setup(make_project, make_user):
    project = make_project(code="NGM-HV")
    other = make_project(client=project.client, code="NGM-EL")
    user = make_user("admin", organisation=project.organisation_id)
    return project, other, user


def run_import(user, text):
    result = preview(
        user, text.encode(), visible(Asset, user, archived=True), visible(Project, user)
    )
    assert result.errors == [] and result.clean
    return apply(user, result)


def events(action):
    query = AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id)
    return {event.entity_id: json.loads(event.changes) for event in query}


def test_only_changed_assets_are_written_and_audited_with_their_changes(setup, make_asset):
    project, _other, user = setup
    old = datetime.datetime(2020, 1, 1)
    kept = make_asset(project=project, tag="CH-1", name="Chiller 1", serial="S1", make="Carrier")
    renamed = make_asset(project=project, tag="CH-2", name="Chiller 2", serial="S2")
    dated = make_asset(project=project, tag="CH-3", name="Chiller 3", install_date="2019-05-01")
    Asset.update(updated_at=old).execute()
    text = "tag,name,project_code,serial,install_date,status\n" + (
        "CH-1,Chiller 1,NGM-HV,S1,,operational\n"  # as it is
        "CH-2,Chiller two,NGM-HV,S2-B,,Down\n"  # name, serial and status change
        "CH-3,Chiller 3,NGM-HV,,,operational\n"  # its install date is cleared
        "AHU-1,Air handler,NGM-HV,,2021-02-03,\n"
    )
    assert run_import(user, text) == {"created": 1, "updated": 3}

    assert Asset.get_by_id(kept.id).updated_at == old  # not written at all
    two = Asset.get_by_id(renamed.id)
    assert (two.name, two.serial, two.status) == ("Chiller two", "S2-B", "down")
    assert two.make == "" and two.updated_at > old  # a column not in the file is left alone
    assert Asset.get_by_id(dated.id).install_date is None
    new = Asset.get(Asset.tag == "AHU-1")
    assert new.install_date == datetime.date(2021, 2, 3) and new.status == "operational"

    assert events("import_update") == {
        renamed.id: {
            "name": ["Chiller 2", "Chiller two"],
            "serial": ["S2", "S2-B"],
            "status": ["operational", "down"],
        },
        dated.id: {"install_date": ["2019-05-01", None]},
    }
    assert list(events("import_create")) == [new.id]


def test_search_finds_updated_and_new_assets_by_their_new_words(setup, make_asset):
    project, _other, user = setup
    make_asset(project=project, tag="PMP-1", name="Booster pump", serial="OLDSERIAL")
    make_asset(project=project, tag="PMP-2", name="Sump pump", serial="KEEPSERIAL")
    text = "tag,name,project_code,serial,model\n" + (
        "PMP-1,Fire main jockey,NGM-HV,NEWSERIAL,\n"
        "PMP-2,Sump pump,NGM-HV,KEEPSERIAL,Grundfos CR\n"  # only the model changes
        "PMP-3,Dosing skid,NGM-HV,THIRDSERIAL,\n"
    )
    run_import(user, text)

    def found(text):
        return sorted(a.tag for a in Asset.select(Asset.tag).where(Asset.matching(text)))

    assert found("jockey") == ["PMP-1"] and found("NEWSERIAL") == ["PMP-1"]
    assert found("OLDSERIAL") == [] and found("Booster") == []
    assert found("Grundfos") == ["PMP-2"] and found("KEEPSERIAL") == ["PMP-2"]
    assert found("Dosing") == ["PMP-3"]


def test_a_moved_asset_takes_its_components_and_meters_along(setup, make_asset):
    project, other, user = setup
    chiller = make_asset(project=project, tag="CH-1", name="Chiller")
    pump = make_asset(project=project, tag="CH-1P", name="Pump", parent=chiller)
    meter = Meter.create(
        organisation=project.organisation_id,
        asset=pump,
        project=project,
        client=project.client_id,
        location=project.location_id,
        name="Run hours",
        unit="h",
    )
    run_import(user, "tag,name,project_code\nCH-1,Chiller,NGM-EL\n")

    for asset in (chiller, pump):
        assert Asset.get_by_id(asset.id).project_id == other.id
    assert Meter.get_by_id(meter.id).project_id == other.id
    assert events("import_update")[chiller.id]["project"] == [project.id, other.id]


def test_a_new_parent_from_the_same_file_is_audited_on_the_existing_asset(setup, make_asset):
    project, _other, user = setup
    motor = make_asset(project=project, tag="MOT-1", name="Motor")
    text = "tag,name,project_code,parent_tag\nFAN-1,Fan,NGM-HV,\nMOT-1,Motor,NGM-HV,FAN-1\n"
    run_import(user, text)

    fan = Asset.get(Asset.tag == "FAN-1")
    assert Asset.get_by_id(motor.id).parent_id == fan.id
    assert events("import_update") == {motor.id: {"parent": [None, fan.id]}}


def test_new_components_get_their_parents_whatever_the_order_of_the_file(setup, make_asset):
    project, _other, user = setup
    plant = make_asset(project=project, tag="PLANT-1", name="Plant room")
    text = "tag,name,project_code,parent_tag\n" + (
        "VLV-1,Valve,NGM-HV,PMP-1\n"  # before its parent, two levels down
        "PMP-1,Pump,NGM-HV,CH-1\n"
        "CH-1,Chiller,NGM-HV,PLANT-1\n"
        "AHU-1,Air handler,NGM-HV,\n"
    )
    assert run_import(user, text) == {"created": 4, "updated": 0}

    def parent_of(tag):
        parent = Asset.get(Asset.tag == tag).parent
        return parent.tag if parent else None

    assert [parent_of(t) for t in ("VLV-1", "PMP-1", "CH-1", "AHU-1")] == [
        "PMP-1",
        "CH-1",
        "PLANT-1",
        None,
    ]
    assert plant.id not in events("import_update")  # a parent is not changed by its children


def test_an_updated_component_keeps_its_registered_parent(setup, make_asset):
    project, _other, user = setup
    chiller = make_asset(project=project, tag="CH-1", name="Chiller")
    pump = make_asset(project=project, tag="CH-1P", name="Pump", parent=chiller)
    text = "tag,name,project_code,parent_tag,serial\nCH-1P,Pump,NGM-HV,CH-1,SN-9\n"
    assert run_import(user, text) == {"created": 0, "updated": 1}

    assert Asset.get_by_id(pump.id).parent_id == chiller.id
    assert events("import_update") == {pump.id: {"serial": ["", "SN-9"]}}


def test_changed_text_that_looks_like_a_number_stays_text(setup, make_asset):
    project, _other, user = setup
    pump = make_asset(project=project, tag="PMP-1", name="Pump", serial="A1")
    run_import(user, "tag,name,project_code,serial,warranty_end\nPMP-1,0042,NGM-HV,00123,\n")

    pump = Asset.get_by_id(pump.id)
    assert (pump.name, pump.serial, pump.warranty_end) == ("0042", "00123", None)
