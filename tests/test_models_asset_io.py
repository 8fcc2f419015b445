"""CSV import (preview, errors, apply) and export of assets, at the model level."""

import csv
import io
import re

import pytest

from models import Asset, AuditEvent, Project
from models.asset_io import (
    ImportFileError,
    apply,
    export_rows,
    preview,
    template_csv,
)
from models.visibility import visible


@pytest.fixture
def setup(make_project, make_user):
    project = make_project(code="NGM-HV")
    other = make_project(code="NGM-LF", client=project.client)
    user = make_user("admin", organisation=project.organisation_id)
    return project, other, user


def run_preview(user, text, encoding="utf-8"):
    return preview(
        user, text.encode(encoding), visible(Asset, user, archived=True), visible(Project, user)
    )


HEADER = "tag,name,project_code,parent_tag,install_date,status\n"


def test_clean_file_previews_then_imports_creating_and_updating(setup, make_asset):
    project, _other, user = setup
    make_asset(project=project, tag="CH-1", name="Old name")
    text = HEADER + (
        "CH-1,Chiller 1 roof,NGM-HV,,2020-01-31,degraded\n"
        "CH-1A,Compressor 1,NGM-HV,CH-1,,\n"
        "AHU-9,Air handler,NGM-HV,,,operational\n"
    )
    result = run_preview(user, text)
    assert result.errors == [] and result.clean
    assert (result.creates, result.updates) == (2, 1)
    assert Asset.select().count() == 1  # a preview writes nothing
    assert apply(user, result) == {"created": 2, "updated": 1}
    chiller = Asset.get(Asset.tag == "CH-1")
    assert chiller.name == "Chiller 1 roof" and chiller.status == "degraded"
    compressor = Asset.get(Asset.tag == "CH-1A")
    assert compressor.parent_id == chiller.id and compressor.client_id == project.client_id
    assert AuditEvent.select().where(AuditEvent.action.startswith("import_")).count() == 3


def test_row_by_row_errors(setup, make_asset):
    project, other, user = setup
    make_asset(project=other, tag="LFT-1")
    text = HEADER + (
        "A-1,One,NGM-HV,,2020-02-30,\n"  # bad date
        "A-2,Two,NOPE,,,\n"  # unknown project
        "A-1,Dup,NGM-HV,,,\n"  # duplicate tag in the file
        "A-3,,NGM-HV,,,\n"  # missing name
        "A-4,Four,NGM-HV,LFT-1,,\n"  # parent in another project
        "A-5,Five,NGM-HV,,,broken\n"  # bad status
        'A-6,=HYPERLINK("x"),NGM-HV,,,\n'  # formula
        "A-7,Seven,NGM-HV,A-8,,\nA-8,Eight,NGM-HV,A-7,,\n"
    )  # loop
    result = run_preview(user, text)
    found = {(line, column) for line, column, _ in result.errors}
    assert {
        (2, "install_date"),
        (3, "project_code"),
        (4, "tag"),
        (5, "name"),
        (6, "parent_tag"),
        (7, "status"),
        (8, "name"),
        (9, "parent_tag"),
        (10, "parent_tag"),
    } <= found
    assert not result.clean
    with pytest.raises(ValueError):
        apply(user, result)
    assert Asset.select().count() == 1


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (b"name,project_code\nx,y\n", "Missing required column(s): tag"),
        (b"tag,name,project_code,colour\n", "Unknown column(s): colour"),
        ("tag,name,project_code\nÄ,Ö,Ü\n".encode("cp1252"), "not UTF-8"),
        (b"tag,tag,name,project_code\n", "named twice"),
    ],
)
def test_whole_file_errors(setup, data, message):
    _project, _other, user = setup
    with pytest.raises(ImportFileError, match=re.escape(message)):
        preview(user, data, visible(Asset, user), visible(Project, user))


def test_utf16_and_bom_files_are_read(setup):
    _project, _other, user = setup
    text = "tag,name,project_code\nCR-1,Kühlraum,NGM-HV\n"
    assert run_preview(user, text, "utf-16").clean
    assert run_preview(user, "\ufeff" + text, "utf-8").clean


def test_a_tag_the_user_cannot_see_is_not_overwritten(setup, make_project, make_asset, make_user):
    project, _other, _admin = setup
    hidden = make_asset(project=make_project(client=project.client), tag="SECRET-1")
    tech = make_user("technician", organisation=project.organisation_id, projects=[project])
    result = run_preview(tech, "tag,name,project_code\nSECRET-1,Mine now,NGM-HV\n")
    assert result.errors and result.errors[0][1] == "tag"
    assert Asset.get_by_id(hidden.id).name != "Mine now"


def test_export_round_trips_through_import(setup, make_asset):
    project, _other, user = setup
    parent = make_asset(project=project, tag="GEN-1", name="=cmd|' /C calc'!A0", make="Cummins")
    make_asset(project=project, tag="GEN-2", name="ATS", parent=parent)
    query = visible(Asset, user).join(Project, on=(Asset.project == Project.id))
    text = "".join(export_rows(query.order_by(Asset.tag)))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["name"].startswith("'=")  # neutralised for spreadsheets
    assert rows[1]["parent_tag"] == "GEN-1" and rows[1]["project_code"] == "NGM-HV"
    assert text.splitlines()[0] == template_csv().splitlines()[0]
    result = run_preview(user, text)
    # The neutralised cell comes back as the text it was: unchanged data imports clean.
    assert result.errors == [] and (result.creates, result.updates) == (0, 2)
    assert result.rows[0][1]["name"] == "=cmd|' /C calc'!A0"
