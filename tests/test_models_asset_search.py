"""Asset search through the dialect's index: substring, any case, across five columns."""

import pytest

from models import Asset


@pytest.fixture
def assets(make_project, make_asset):
    project = make_project()
    rows = [
        make_asset(
            project=project,
            tag="CH-0012",
            name="Chiller 2, roof",
            make="Carrier",
            model_name="AquaForce 30XW",
            serial="CA53-864878",
        ),
        make_asset(
            project=project,
            tag="AHU-0001",
            name="Air handling unit 1",
            make="Daikin",
            model_name="D-AHU Professional",
            serial="DK11-100200",
        ),
        make_asset(
            project=project,
            tag="GEN_1",
            name="Generator 100% load",
            make="Cummins",
            model_name="C150D5",
            serial="CU-5",
        ),
    ]
    return {a.tag: a.id for a in rows}


def found(text):
    return {a.tag for a in Asset.select().where(Asset.archived_at.is_null(), Asset.matching(text))}


@pytest.mark.parametrize(
    "text,tags",
    [
        ("chiller", {"CH-0012"}),  # name, any case
        ("ch-001", {"CH-0012"}),  # tag substring
        ("864878", {"CH-0012"}),  # serial
        ("daikin", {"AHU-0001"}),  # make
        ("aquaforce 30", {"CH-0012"}),  # model, with a space
        ("ah", {"AHU-0001"}),  # two characters
        ("100%", {"GEN_1"}),  # a literal %
        ("n_1", {"GEN_1"}),  # a literal _
        ('"; drop', set()),  # quotes are text
        ("zzz", set()),
    ],
)
def test_matching(assets, text, tags):
    assert found(text) == tags


def test_index_follows_edits(assets):
    asset = Asset.get_by_id(assets["CH-0012"])
    asset.name = "Absorption unit"
    asset.save()
    assert found("chiller") == set()
    assert found("absorption") == {"CH-0012"}
    asset.delete_instance()
    assert found("absorption") == set()
